//! `xpr completions SHELL` and `xpr man`: generated from the same clap definition the parser
//! uses (`clap_complete`, `clap_mangen`), so they cannot drift from the real options. Commands
//! of the binary rather than a build step: an installed `xpr` (`cargo install`) can write them
//! where the system wants them.

use std::io::Write;

use clap::CommandFactory;

use super::*;

pub(crate) fn completions(args: CompletionsArgs) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut command, "xpr", &mut text);
    let mut out = std::io::stdout().lock();
    exit::stdout_written(
        out.write_all(&text).and_then(|()| out.flush()),
        "the completions",
    )?;
    Ok(Outcome::Clean)
}

pub(crate) fn man(args: ManArgs) -> Result<Outcome, Error> {
    let command = Cli::command();
    match &args.out_dir {
        None => {
            let mut page = Vec::new();
            write_page(&command, &mut page);
            let mut out = std::io::stdout().lock();
            exit::stdout_written(
                out.write_all(&page).and_then(|()| out.flush()),
                "the manual page",
            )?;
        }
        Some(dir) => {
            let written = std::fs::create_dir_all(dir).and_then(|()| {
                for (name, page) in pages(&command) {
                    std::fs::write(dir.join(name), page)?;
                }
                Ok(())
            });
            written.map_err(|source| Error::Output {
                what: "the manual pages",
                source,
            })?;
        }
    }
    Ok(Outcome::Clean)
}

fn write_page(command: &clap::Command, out: &mut Vec<u8>) {
    clap_mangen::Man::new(command.clone())
        .render(out)
        .expect("rendering into memory does not fail");
}

/// `xpr.1`, then `xpr-<command>.1` (and `xpr-shim-suggest.1`) for every visible command.
fn pages(command: &clap::Command) -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    let mut stack = vec![(String::from("xpr"), command.clone())];
    while let Some((name, mut cmd)) = stack.pop() {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() != "help" {
                stack.push((format!("{name}-{}", sub.get_name()), sub.clone()));
            }
        }
        cmd = cmd.name(name.clone()).bin_name(name.replace('-', " "));
        let mut page = Vec::new();
        write_page(&cmd, &mut page);
        pages.push((format!("{name}.1"), page));
    }
    pages.sort();
    pages
}
