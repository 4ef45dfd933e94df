//! `xpr exec FILE --profile P -- CMD ARGS…`: the arguments become an [`ExecConfig`];
//! [`crate::run::exec`] runs the command. The command's exit status is xpr's (a signal `s`
//! becomes 128 + s, a command that did not start 127 when it is missing, 126 otherwise, as a
//! shell reports them); 2 invalid input, 3 when the profile could not be applied.

use super::*;
use crate::run::{CommandEnd, ExecConfig};

pub(crate) fn run(args: ExecArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let config = ExecConfig {
        load: args.load.options(),
        file: args.file,
        profile: args.profile,
        command: args.command,
        landlock_abi_cap: args.landlock_abi,
        landlock_only: args.mechanism == Some(MechanismArg::Landlock),
        message_format: global.message_format.into(),
        verbosity: global.verbosity(),
    };
    let code = match crate::run::exec(&config)? {
        CommandEnd::Exited(code) => code,
        CommandEnd::Signaled(sig) => 128 + sig,
        CommandEnd::NotStarted(errno) => {
            eprintln!(
                "xpr exec: {}: execve failed: {}",
                config.command[0],
                crate::world::errno_name(errno)
            );
            if errno == libc::ENOENT { 127 } else { 126 }
        }
    };
    Ok(Outcome::Command(code.clamp(0, 255) as u8))
}
