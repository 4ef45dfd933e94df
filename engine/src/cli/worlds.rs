//! `xpr worlds` (the catalogue and its cache), `xpr worlds fetch NAME…`, and `__guest-run`:
//! the run inside a guest world, an ordinary `xpr run` with what the host decided (run id,
//! command line, world facts). `xpr run --world` itself goes through `run::run`.

use std::io::Write;
use std::path::Path;

use super::*;
use crate::run::GuestContext;
use crate::worlds::cache::KernelOrigin;
use crate::worlds::fetch::{self, FetchError};
use crate::worlds::guest_init::{GUEST_OUT, RESULT_FILE};
use crate::worlds::launch::QEMU;
use crate::worlds::protocol::{GuestRequest, GuestResult};
use crate::worlds::{Catalogue, KernelSource, WorldSpec};

pub(crate) fn run(args: WorldsArgs) -> u8 {
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
        crate::diagnostics::eprint(&diags, MessageFormat::Human);
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
                    KernelOrigin::Package {
                        package, version, ..
                    } => format!("cached {package} {version}"),
                    KernelOrigin::Image { file, .. } => {
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
            let rows = catalogue
                .worlds
                .iter()
                .map(|w| vec![w.name.clone(), state(w).0, w.description.clone()]);
            // Within the terminal's width, like every table (the description wraps).
            out.push_str(&crate::report::columns(
                &[],
                rows,
                crate::report::width::stdout_width(),
                0,
            ));
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
                    KernelOrigin::Package {
                        package,
                        version,
                        sha256,
                        ..
                    } => format!("{package} {version} sha256:{sha256}"),
                    KernelOrigin::Image { file, .. } => file,
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

/// `xpr __guest-run REQUEST`: the user's run inside the guest, with the host's run id,
/// command line and world facts; its exit code goes to `RESULT_FILE` for the init.
pub(crate) fn guest_run(request: &Path) -> u8 {
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
        .chain(request.run_args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| format!("run arguments: {e}"))?;
    let Command::Run(args) = cli.command else {
        return Err("the request is not a run".into());
    };
    let mut config = super::run::config(args, &cli.global);
    config.out_root = GUEST_OUT.into();
    config.world = None;
    config.guest = Some(GuestContext {
        run_id: crate::bundle::RunId::parse(&request.run_id).map_err(|e| e.to_string())?,
        manifest_args: request.manifest_args.clone(),
        vm: request.world.clone(),
        harness: request.harness.clone(),
    });
    if config.files.len() != 1 {
        return Err("a guest run takes one experiment".into());
    }
    Ok(super::run::execute(&config).exit_code())
}
