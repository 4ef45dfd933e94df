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
            print(&render_plan(&args, &loaded.experiment))
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
    })
}

/// The text `xpr plan` prints for an experiment, in the format the arguments ask for.
fn render_plan(args: &PlanArgs, experiment: &Experiment) -> String {
    let plan = Plan::build(experiment);
    if args.dot {
        render::dot(&plan)
    } else if args.format == OutputFormat::Json {
        render::json(&plan)
    } else {
        render::text(&plan, experiment)
    }
}

/// Writes results to stdout; a closed pipe is not an error (design §11).
fn print(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(_) => EXIT_ENVIRONMENT,
    }
}
