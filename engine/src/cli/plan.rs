//! `xpr plan FILE`: load the experiment, build the stage graph, print it (text, `--dot`,
//! `--format json`). Invalid input prints every diagnostic and exits 2.

use std::io::Write;

use super::check::print_diagnostics;
use super::*;
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::model::Experiment;
use crate::plan::{Plan, current_world, render};
use crate::resolve::{self, LoadOptions};

pub fn run(args: PlanArgs) -> u8 {
    let format = args.load.message_format;
    let opts = match load_options(&args.load) {
        Ok(opts) => opts,
        Err(diags) => {
            print_diagnostics(&diags, format);
            return EXIT_INVALID;
        }
    };
    match resolve::load(&args.file, &opts) {
        Ok(loaded) => {
            print_diagnostics(&loaded.warnings, format);
            print_plan(&args, &loaded.experiment)
        }
        Err(diags) => {
            print_diagnostics(&diags, format);
            EXIT_INVALID
        }
    }
}

fn load_options(load: &LoadArgs) -> Result<LoadOptions, Diagnostics> {
    let mut params = Vec::new();
    let mut usage = Diagnostics::new();
    for p in &load.params {
        match resolve::parse_param(p) {
            Some(kv) => params.push(kv),
            None => usage.push(Diag::error(
                codes::INVALID_VALUE,
                format!("--param `{p}` must be NAME=VALUE"),
            )),
        }
    }
    if !usage.is_empty() {
        return Err(usage);
    }
    Ok(LoadOptions {
        params,
        world: current_world().to_string(),
        sbpl: load.sbpl_imports(),
    })
}

/// Writes the plan in the format the arguments ask for. Graphviz and JSON stream through a
/// buffer (large plans are hundreds of MB); a closed pipe is not an error (design §11).
fn print_plan(args: &PlanArgs, experiment: &Experiment) -> u8 {
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
    match written.and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("xpr plan: cannot write the plan: {e}");
            EXIT_ENVIRONMENT
        }
    }
}
