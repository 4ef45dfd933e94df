//! `xpr matrix FILE --worlds A,B,…` and `xpr matrix --from BUNDLE…`: the worlds' bundles →
//! one comparison (`crate::matrix`). Exit 0 when every world's expectations hold (or are
//! known), 1 when some do not, 2 for invalid input (experiment, world name, a bundle that does
//! not verify), 3 when a world fails to run (the matrix is still written, with that world as
//! a fault) or on Ctrl-C (no bundle is left).

use std::io::Write;
use std::path::PathBuf;

use super::*;
use crate::matrix::column::{self, Column};
use crate::matrix::{MatrixRun, WorldOutcome, document, output};
use crate::worlds::Accel;

pub(crate) fn run(args: MatrixArgs) -> Result<Outcome, Error> {
    let mut names = std::collections::BTreeSet::new();
    if let Some(twice) = args.worlds.iter().find(|w| !names.insert(w.as_str())) {
        return Err(Error::MatrixInput {
            message: format!("world `{twice}` is named twice in --worlds"),
            hint: Some("each world is one column of the matrix".into()),
        });
    }
    let (experiment, mut columns, timings, dir) = match &args.file {
        Some(file) => run_worlds(&args, file)?,
        None => from_bundles(&args)?,
    };
    column::uniquify(&mut columns);
    let matrix = document::build(&experiment, &columns, &dir);
    output::write(&dir, &matrix, &columns)?;
    let text = match args.format {
        OutputFormat::Json => {
            let mut t = serde_json::to_string_pretty(&matrix).expect("a matrix serialises");
            t.push('\n');
            t
        }
        OutputFormat::Text => summary(&matrix, &timings, &dir),
    };
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    exit::stdout_written(written, "the matrix")?;
    let faults: Vec<String> = columns
        .iter()
        .filter_map(|c| c.outcome.as_ref().err().map(|e| format!("{}: {e}", c.name)))
        .collect();
    if !faults.is_empty() {
        return Err(Error::WorldsFailed(faults));
    }
    Ok(if matrix.passed {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

type Built = (String, Vec<Column>, Vec<Timing>, PathBuf);

/// Boot and wall time of one world's run, for the summary (never in the matrix files).
struct Timing {
    world: String,
    boot: Option<std::time::Duration>,
    wall: std::time::Duration,
}

fn run_worlds(args: &MatrixArgs, file: &std::path::Path) -> Result<Built, Error> {
    let started = std::time::Instant::now();
    // The directory is named after the experiment, which is only known once it loads.
    let name = crate::resolve::load(file, &args.load.options())
        .map(|l| l.experiment.name)
        .map_err(crate::run::RunError::Invalid)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("matrix").join(&name));
    let m = MatrixRun {
        file: file.to_path_buf(),
        load: args.load.options(),
        worlds: args.worlds.clone(),
        world_files: args.world_files.clone(),
        accel: match args.accel {
            AccelArg::Tcg => Accel::Tcg,
            AccelArg::Kvm => Accel::Kvm,
        },
        dir: dir.clone(),
        parallel: args
            .parallel
            .map_or_else(crate::matrix::world_runs::default_parallel, |n| n.get()),
    };
    let log = |line: &str| eprintln!("xpr: {line}");
    let (experiment, outcomes) = crate::matrix::world_runs::run(&m, &log)?;
    let mut columns = Vec::new();
    let mut timings = Vec::new();
    for WorldOutcome {
        name,
        bundle,
        boot,
        wall,
    } in outcomes
    {
        timings.push(Timing {
            world: name.clone(),
            boot,
            wall,
        });
        columns.push(match bundle {
            Ok(path) => Column::from_bundle(&path, Some(&name))
                .unwrap_or_else(|e| Column::fault(&name, e.to_string())),
            Err(reason) => Column::fault(&name, reason),
        });
    }
    timings.push(Timing {
        world: "total".into(),
        boot: None,
        wall: started.elapsed(),
    });
    Ok((experiment, columns, timings, dir))
}

fn from_bundles(args: &MatrixArgs) -> Result<Built, Error> {
    let mut columns = Vec::new();
    let mut experiment: Option<String> = None;
    for path in &args.from {
        let c = Column::from_bundle(path, None).map_err(|e| Error::MatrixInput {
            message: format!("bundle {} cannot be compared: {e}", path.display()),
            hint: Some(
                "`xpr verify` the bundle; a matrix only compares bundles that verify".into(),
            ),
        })?;
        let name = c
            .outcome
            .as_ref()
            .ok()
            .and_then(|l| l.view.facts.get("experiment"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        match &experiment {
            None => experiment = Some(name),
            Some(first) if *first != name => {
                return Err(Error::MatrixInput {
                    message: format!(
                        "bundle {} is of experiment `{name}`, the first of `{first}`",
                        path.display()
                    ),
                    hint: Some("a matrix compares one experiment across worlds".into()),
                });
            }
            Some(_) => {}
        }
        columns.push(c);
    }
    let experiment = experiment.unwrap_or_default();
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("matrix").join(&experiment));
    Ok((experiment, columns, Vec::new(), dir))
}

fn summary(m: &crate::matrix::Matrix, timings: &[Timing], dir: &std::path::Path) -> String {
    let mut out = String::new();
    for w in &m.worlds {
        let t = timings.iter().find(|t| t.world == w.name);
        let time = t.map_or(String::new(), |t| {
            format!(
                "  {:.1} s{}",
                t.wall.as_secs_f64(),
                t.boot.map_or(String::new(), |b| format!(
                    " (boot {:.1} s)",
                    b.as_secs_f64()
                ))
            )
        });
        let state = match &w.fault {
            Some(f) => format!("fault: {f}"),
            None => format!(
                "{} held, {} known, {} mismatched, {} without expectation",
                w.counts.held, w.counts.known, w.counts.mismatched, w.counts.unexpected
            ),
        };
        out.push_str(&format!(
            "{:<16} ABI {:<2} {state}{time}\n",
            w.name,
            w.landlock_abi.map_or("-".into(), |a| a.to_string()),
        ));
    }
    if let Some(total) = timings.iter().find(|t| t.world == "total") {
        out.push_str(&format!("total {:.1} s\n", total.wall.as_secs_f64()));
    }
    let changed: Vec<&str> = m
        .rows
        .iter()
        .filter(|r| r.change != crate::matrix::document::Change::Same)
        .map(|r| r.id.as_str())
        .collect();
    out.push_str(&format!(
        "{}: {} expectations × {} worlds; {} differ between worlds; {}\n",
        m.experiment,
        m.rows.len(),
        m.worlds.len(),
        changed.len(),
        if m.passed {
            "every world holds"
        } else {
            "NOT every world holds"
        }
    ));
    out.push_str(&format!(
        "matrix: {}/{{{},{},{}}}\n",
        dir.display(),
        output::JSON,
        output::MARKDOWN,
        output::HTML
    ));
    out
}
