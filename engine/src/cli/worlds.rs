//! `xpr worlds` (the catalogue and its cache), `xpr worlds fetch NAME…`, and the command-line
//! side of `xpr run FILE --world NAME`: validate on the host, run in the guest
//! (`worlds::run_in_world`), print the verified bundle's summary. Also `__guest-run`, the run
//! inside the guest.

use std::io::Write;
use std::path::Path;

use super::run::RunOverrides;
use super::*;
use crate::resolve::{self, LoadOptions};
use crate::worlds::fetch::{self, FetchError};
use crate::worlds::guest_init::{GUEST_OUT, RESULT_FILE};
use crate::worlds::launch::QEMU;
use crate::worlds::protocol::{GuestRequest, GuestResult};
use crate::worlds::{Accel, Catalogue, GuestRun, KernelSource, WorldError, WorldSpec};

pub fn run(args: WorldsArgs) -> u8 {
    let catalogue = match load_catalogue(&args.world_files) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match args.action {
        None => list(&catalogue, args.format),
        Some(WorldsAction::Fetch { names }) => fetch_worlds(&catalogue, &names),
    }
}

fn load_catalogue(files: &[std::path::PathBuf]) -> Result<Catalogue, u8> {
    Catalogue::load(files).map_err(|diags| {
        check::print_diagnostics(&diags, MessageFormat::Human);
        EXIT_INVALID
    })
}

/// One world's state: is its kernel here, and which one.
fn state(spec: &WorldSpec) -> (String, serde_json::Value) {
    match &spec.kernel {
        None => ("host kernel".into(), serde_json::json!({"state": "host"})),
        Some(KernelSource::Image { kernel, .. }) => {
            let present = kernel.is_file();
            let text = if present {
                "image present"
            } else {
                "image missing"
            };
            (
                text.into(),
                serde_json::json!({"state": text.replace(' ', "_")}),
            )
        }
        Some(KernelSource::Package(p)) => match fetch::cached(spec) {
            Ok(Some(k)) => {
                let record = serde_json::to_value(&k.record).unwrap_or_default();
                let text = match &k.record.source {
                    crate::worlds::cache::KernelOrigin::Package {
                        package, version, ..
                    } => format!("cached {package} {version}"),
                    crate::worlds::cache::KernelOrigin::Image { file, .. } => {
                        format!("cached {file}")
                    }
                };
                (
                    text,
                    serde_json::json!({"state": "cached", "kernel": record}),
                )
            }
            Ok(None) => (
                format!("not fetched ({} from {})", p.package, p.suite),
                serde_json::json!({"state": "not_fetched"}),
            ),
            Err(e) => (
                format!("cache unusable: {e}"),
                serde_json::json!({"state": "cache_error", "error": e.to_string()}),
            ),
        },
    }
}

fn list(catalogue: &Catalogue, format: OutputFormat) -> u8 {
    let qemu = fetch::find_in_path(QEMU);
    let mut out = String::new();
    match format {
        OutputFormat::Json => {
            let worlds: Vec<serde_json::Value> = catalogue
                .worlds
                .iter()
                .map(|w| {
                    let (_, mut v) = state(w);
                    v["name"] = w.name.clone().into();
                    v["description"] = w.description.clone().into();
                    v["defined_in"] = w.defined_in.clone().into();
                    v
                })
                .collect();
            let doc = serde_json::json!({
                "schema_version": "xpr.worlds.v1",
                "qemu": qemu.as_ref().map(|p| p.display().to_string()),
                "worlds": worlds,
            });
            out = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        }
        OutputFormat::Text => {
            let rows: Vec<(String, String, String)> = catalogue
                .worlds
                .iter()
                .map(|w| (w.name.clone(), state(w).0, w.description.clone()))
                .collect();
            let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
            for (name, state, description) in rows {
                out.push_str(&format!("{name:<w0$}  {state:<w1$}  {description}\n"));
            }
            out.push_str(&match &qemu {
                Some(p) => format!("qemu: {}\n", p.display()),
                None => format!("qemu: {QEMU} not found (apt-get install qemu-system-x86)\n"),
            });
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_OK
}

fn fetch_worlds(catalogue: &Catalogue, names: &[String]) -> u8 {
    let mut specs = Vec::new();
    for name in names {
        match catalogue.find(name) {
            Ok(s) => specs.push(s),
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_INVALID;
            }
        }
    }
    let mut code = EXIT_OK;
    for spec in specs {
        let result: Result<String, FetchError> = match &spec.kernel {
            None => Ok("the host needs no kernel".into()),
            Some(KernelSource::Image { .. }) => fetch::kernel(spec, &mut progress).map(|k| {
                format!(
                    "image {} ({})",
                    k.record.image.file, k.record.kernel_release
                )
            }),
            Some(KernelSource::Package(_)) => {
                fetch::fetch(spec, &mut progress).map(|r| match r.source {
                    crate::worlds::cache::KernelOrigin::Package {
                        package,
                        version,
                        sha256,
                        ..
                    } => format!("{package} {version} sha256:{sha256}"),
                    crate::worlds::cache::KernelOrigin::Image { file, .. } => file,
                })
            }
        };
        match result {
            Ok(text) => println!("{}: {text}", spec.name),
            Err(e) => {
                eprintln!("error: {}: {e}", spec.name);
                code = EXIT_ENVIRONMENT;
            }
        }
    }
    code
}

fn progress(line: &str) {
    eprintln!("xpr: {line}");
}

/// `xpr run FILE --world NAME` for a guest world.
pub fn run_in_world(args: RunArgs) -> u8 {
    crate::execute::interrupt::install();
    let catalogue = match load_catalogue(&args.world.world_files) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let name = args.world.world.clone().unwrap_or_default();
    let spec = match catalogue.find(&name) {
        Ok(s) => s.clone(),
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_INVALID;
        }
    };
    if args.junit.is_some() {
        eprintln!(
            "error: --junit is not available with --world yet; run `xpr run` on the host for JUnit"
        );
        return EXIT_INVALID;
    }
    // Bad input is the host's to report (exit 2), before any guest boots.
    let mut params = Vec::new();
    for p in &args.load.params {
        match resolve::parse_param(p) {
            Some(kv) => params.push(kv),
            None => {
                eprintln!("error: --param `{p}` must be NAME=VALUE");
                return EXIT_INVALID;
            }
        }
    }
    let loaded = match resolve::load(
        &args.file,
        &LoadOptions {
            params,
            world: "linux".into(),
        },
    ) {
        Ok(l) => l,
        Err(diags) => {
            check::print_diagnostics(&diags, args.load.message_format);
            return EXIT_INVALID;
        }
    };
    check::print_diagnostics(&loaded.warnings, args.load.message_format);
    let exp = loaded.experiment;
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let file = match std::fs::canonicalize(&args.file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}: {e}", args.file.display());
            return EXIT_INVALID;
        }
    };
    let out_root = args.out.clone().unwrap_or_else(|| "out".into());
    if let Err(e) = std::fs::create_dir_all(&out_root) {
        eprintln!(
            "error: output directory {} is not writable: {e}",
            out_root.display()
        );
        return EXIT_ENVIRONMENT;
    }
    let run = GuestRun {
        experiment: exp.name.clone(),
        run_args: guest_run_args(&args, &file),
        manifest_args: crate::bundle::manifest::portable_args(std::env::args().skip(1), &cwd),
        cwd,
        out_root,
        label: args.label.clone(),
        accel: match args.world.accel {
            AccelArg::Tcg => Accel::Tcg,
            AccelArg::Kvm => Accel::Kvm,
        },
        cpus: 1,
        sources: exp
            .sources
            .iter()
            .map(|s| (s.path.clone(), s.blake3.clone()))
            .collect(),
    };
    match crate::worlds::run_in_world(&spec, &run, &mut progress) {
        Ok(done) => {
            let summary =
                std::fs::read_to_string(done.bundle.join(crate::bundle::layout::SUMMARY_MD))
                    .unwrap_or_default();
            let boot = done.boot.map_or_else(String::new, |b| {
                format!(", booted in {:.1} s", b.as_secs_f64())
            });
            let text = match args.format {
                OutputFormat::Json => format!(
                    "{}\n",
                    serde_json::json!({
                        "world": spec.name,
                        "bundle": done.bundle.display().to_string(),
                        "exit_code": done.exit_code,
                        "boot_ms": done.boot.map(|b| b.as_millis() as u64),
                        "wall_ms": done.wall.as_millis() as u64,
                    })
                ),
                OutputFormat::Text => format!(
                    "{summary}\nworld: {} ({:.1} s{boot})\nbundle: {}\n",
                    spec.name,
                    done.wall.as_secs_f64(),
                    done.bundle.display()
                ),
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            done.exit_code as u8
        }
        Err(e) => {
            eprintln!("error: world {}: {e}", spec.name);
            match e {
                WorldError::Interrupted { .. }
                | WorldError::QemuMissing
                | WorldError::Fetch(_)
                | WorldError::Setup(_)
                | WorldError::Guest { .. } => EXIT_ENVIRONMENT,
            }
        }
    }
}

/// The guest's `xpr run` arguments: the experiment (absolute) and the options that shape
/// the run; never world options or the host's output paths.
fn guest_run_args(args: &RunArgs, file: &Path) -> Vec<String> {
    let mut out = vec![file.to_string_lossy().into_owned()];
    for p in &args.load.params {
        out.extend(["--param".into(), p.clone()]);
    }
    if let Some(j) = args.jobs {
        out.extend(["-j".into(), j.to_string()]);
    }
    if let Some(i) = args.isolation {
        let word = match i {
            IsolationArg::Probe => "probe",
            IsolationArg::Profile => "profile",
        };
        out.extend(["--isolation".into(), word.into()]);
    }
    if let Some(n) = args.landlock_abi {
        out.extend(["--landlock-abi".into(), n.to_string()]);
    }
    if args.observer == Some(ObserverArg::Audit) {
        out.extend(["--observer".into(), "audit".into()]);
    }
    out
}

/// `xpr __guest-run REQUEST`: the user's run inside the guest, with the host's run id,
/// command line and world facts; its exit code goes to `RESULT_FILE` for the init.
pub fn guest_run(request: &Path) -> u8 {
    let (code, message) = match guest_run_inner(request) {
        Ok(code) => (code, None),
        Err(message) => (EXIT_ENVIRONMENT, Some(message)),
    };
    if let Some(m) = &message {
        eprintln!("xpr guest run: {m}");
    }
    let result = GuestResult {
        exit_code: Some(code as i32),
        message,
    };
    if let Err(e) = std::fs::write(RESULT_FILE, serde_json::to_vec(&result).unwrap_or_default()) {
        eprintln!("xpr guest run: {RESULT_FILE}: {e}");
    }
    code
}

fn guest_run_inner(request: &Path) -> Result<u8, String> {
    let bytes = std::fs::read(request).map_err(|e| format!("{}: {e}", request.display()))?;
    let request: GuestRequest =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", request.display()))?;
    let argv = ["xpr", "run"]
        .into_iter()
        .map(String::from)
        .chain(request.run_args.iter().cloned())
        .chain(["--out".into(), GUEST_OUT.into()]);
    let cli = Cli::try_parse_from(argv).map_err(|e| format!("run arguments: {e}"))?;
    let Command::Run(args) = cli.command else {
        return Err("the request is not a run".into());
    };
    let run_id = crate::bundle::RunId::parse(&request.run_id).map_err(|e| e.to_string())?;
    let overrides = RunOverrides {
        run_id: Some(run_id),
        manifest_args: Some(request.manifest_args.clone()),
        vm: Some((request.world.clone(), request.harness.clone())),
    };
    Ok(super::run::run_with(args, &overrides))
}
