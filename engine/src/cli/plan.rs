//! `xpr plan FILE`: load the experiment, build the stage graph, print it (`--format text`,
//! `json` or `dot`; `--dot` is `--format dot`). Invalid input prints every diagnostic and exits 2.

use std::io::Write;

use super::*;
use crate::model::Experiment;
use crate::plan::{Plan, current_world, render};
use crate::resolve::{self, LoadOptions};

pub(crate) fn run(args: PlanArgs, format: MessageFormat) -> Result<Outcome, Error> {
    let opts = LoadOptions {
        world: current_world().to_string(),
        ..args.load.options()
    };
    let loaded = resolve::load(&args.file, &opts).map_err(Error::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, format);
    print_plan(&args, &loaded.experiment)?;
    Ok(Outcome::Clean)
}

/// Writes the plan in the format the arguments ask for. Graphviz and JSON stream through a
/// buffer (large plans are hundreds of MB); a closed pipe is not an error (spec §10).
fn print_plan(args: &PlanArgs, experiment: &Experiment) -> Result<(), Error> {
    let plan = Plan::build(experiment);
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let format = if args.dot {
        PlanFormat::Dot
    } else {
        args.format
    };
    let written = match format {
        PlanFormat::Dot => render::write_dot(&plan, &mut out),
        PlanFormat::Json => render::write_json(&plan, &mut out),
        PlanFormat::Text => out.write_all(render::text(&plan, experiment).as_bytes()),
    };
    exit::stdout_written(written.and_then(|()| out.flush()), "the plan")
}
