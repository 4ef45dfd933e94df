//! `xpr plan FILE`: load the experiment, build the stage graph, print it (text, `--dot`,
//! `--format json`). Invalid input prints every diagnostic and exits 2.

use std::io::Write;

use super::*;
use crate::model::Experiment;
use crate::plan::{Plan, current_world, render};
use crate::resolve::{self, LoadOptions};

pub fn run(args: PlanArgs) -> Result<Outcome, Error> {
    let opts = LoadOptions {
        world: current_world().to_string(),
        ..args.load.options()
    };
    let loaded = resolve::load(&args.file, &opts).map_err(Error::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, args.load.message_format.into());
    print_plan(&args, &loaded.experiment)?;
    Ok(Outcome::Clean)
}

/// Writes the plan in the format the arguments ask for. Graphviz and JSON stream through a
/// buffer (large plans are hundreds of MB); a closed pipe is not an error (spec §10).
fn print_plan(args: &PlanArgs, experiment: &Experiment) -> Result<(), Error> {
    let plan = Plan::build(experiment);
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let written = if args.dot {
        render::write_dot(&plan, &mut out)
    } else if args.format == OutputFormat::Json {
        render::write_json(&plan, &mut out)
    } else {
        out.write_all(render::text(&plan, experiment).as_bytes())
    };
    exit::stdout_written(written.and_then(|()| out.flush()), "the plan")
}
