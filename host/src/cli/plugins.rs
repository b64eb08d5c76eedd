//! `clora-host plugins describe FILE.wasm` and `clora-host plugins check FILE.wasm
//! [--set name=value]...`: what a plugin declares, and whether it behaves (the
//! conformance probe of `plugin::conformance`), with timings. `clora-host plugins new`
//! scaffolds a plugin project (`scaffold`).
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::plugin::conformance::{self, CheckReport};
use crate::plugin::{
    parse_cli_value, range_text, ParamSpec, ParamType, PluginInfo, PluginKind, PluginRuntime,
    RuntimeOptions, CONTRACT_VERSION,
};
use crate::scaffold::{self, Lang, NewPlugin};

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Print a plugin's kind, name, version, contract and parameters (defaults, ranges,
    /// documentation). Runs only its `describe`.
    Describe(DescribeArgs),
    /// Load a plugin with parameters and run a conformance probe for its kind on
    /// synthetic GPT-2-shaped inputs; exits non-zero on failure.
    Check(CheckArgs),
    /// Scaffold a plugin project, in Rust or Python, that builds and passes `plugins
    /// check` as written (see its README.md).
    New(NewArgs),
}

/// Scaffold a plugin project in <DIR>/<NAME>/: the plugin's source with a working
/// starting point, a native test, a README with the exact commands, and check.sh (test,
/// build <NAME>.wasm, `clora-host plugins check`).
///
/// Examples:
///   clora-host plugins new --kind regularizer my-penalty
///   clora-host plugins new --kind preprocessor my-data --lang python --dir ~/clora-plugins
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct NewArgs {
    /// The plugin's name (lowercase letters, digits, `-`, `_`; starts with a letter): its
    /// NAME, the project directory and <NAME>.wasm.
    pub name: String,
    /// What the plugin is.
    #[arg(long, value_parser = ["regularizer", "grad-processor", "preprocessor"])]
    pub kind: String,
    /// The language: a Rust crate on the guest SDK (plugins/sdk) or a Python project
    /// built with componentize-py (plugins/python).
    #[arg(long, default_value = "rust", value_parser = ["rust", "python"])]
    pub lang: String,
    /// Where to create the project directory <NAME>/ (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The clora-host checkout whose SDK and wit/ the plugin builds against (default: the
    /// checkout this binary was built from).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The component (.wasm).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The component (.wasm).
    pub file: PathBuf,
    /// A parameter, `name=value` (repeatable); typed by the plugin's schema.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// A JSON record for a preprocessor's probe (repeatable); default: one record in
    /// each dataset schema the project uses.
    #[arg(long = "record", value_name = "JSON")]
    pub record: Vec<String>,
    /// Device for the host's tensors: cpu, cuda, cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

pub fn run(cmd: PluginsCommand) -> anyhow::Result<()> {
    let runtime = || PluginRuntime::new(RuntimeOptions::default());
    match cmd {
        PluginsCommand::Describe(args) => {
            let info = runtime()?.describe(&args.file)?;
            print!(
                "{}",
                describe_text(&info, &crate::plugin::wasm_digest(&args.file)?)
            );
            Ok(())
        }
        PluginsCommand::Check(args) => check(&runtime()?, &args),
        PluginsCommand::New(args) => new(&args),
    }
}

fn check(runtime: &PluginRuntime, args: &CheckArgs) -> anyhow::Result<()> {
    let device = crate::model::parse_device(&args.device)?;
    let info = runtime.describe(&args.file)?;
    let mut params = toml::Table::new();
    for assignment in &args.set {
        let (name, value) = assignment
            .split_once('=')
            .with_context(|| format!("--set {assignment:?}: expected NAME=VALUE"))?;
        params.insert(
            name.trim().to_string(),
            parse_cli_value(&info, name.trim(), value.trim()),
        );
    }
    let records = (!args.record.is_empty()).then_some(args.record.as_slice());
    println!(
        "checking {} ({} plugin) on {}",
        args.file.display(),
        info.kind,
        args.device
    );
    let report = conformance::check(runtime, &args.file, &params, records, device)
        .with_context(|| format!("{} failed its check", args.file.display()))?;
    print!("{}", check_text(&report));
    if report.steps.is_empty() {
        bail!("the probe made no calls");
    }
    Ok(())
}

fn new(args: &NewArgs) -> anyhow::Result<()> {
    let kind = PluginKind::from_interface(&args.kind).context("unknown --kind")?;
    let lang: Lang = args.lang.parse().map_err(anyhow::Error::msg)?;
    let repo = args.repo.clone().unwrap_or_else(scaffold::default_repo);
    let host = std::env::current_exe().context("cannot locate the clora-host binary")?;
    let made = scaffold::create(&NewPlugin {
        name: &args.name,
        kind,
        lang,
        parent: &args.dir,
        repo: &repo,
        host_binary: &host,
    })?;
    println!(
        "created {} ({lang} {kind} plugin) in {}",
        args.name,
        made.dir.display()
    );
    for file in &made.files {
        println!("  {}", file.display());
    }
    let flag = match kind {
        PluginKind::Regularizer => "train --regularizer",
        PluginKind::GradProcessor => "train --grad-processor",
        PluginKind::Preprocessor => {
            "data inspect --config FILE  # with data.<split>.preprocessor ="
        }
    };
    println!(
        "next:\n  cd {} && {}    # test, build {}.wasm, clora-host plugins check\n  clora-host {flag} {}\nREADME.md in the project has the details.",
        made.dir.display(),
        made.check_command,
        args.name,
        made.wasm.display()
    );
    Ok(())
}

fn describe_text(info: &PluginInfo, digest: &str) -> String {
    let mut out = format!(
        "{} {}\n  kind:      {}\n  contract:  clora:plugin@{}{}\n  sha256:    {digest}\n",
        info.name,
        info.version,
        info.kind,
        info.contract,
        if info.contract == CONTRACT_VERSION {
            ""
        } else {
            " (this host implements another version)"
        },
    );
    if !info.description.is_empty() {
        out.push_str(&format!("\n  {}\n", info.description));
    }
    if info.params.is_empty() {
        out.push_str("\nparameters: none\n");
        return out;
    }
    out.push_str("\nparameters:\n");
    let width = info.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for spec in &info.params {
        out.push_str(&format!(
            "  {:width$}  {:8} default {}{}\n",
            spec.name,
            spec.ty.to_string(),
            spec.default,
            constraint(spec)
        ));
        if !spec.doc.is_empty() {
            out.push_str(&format!("  {:width$}  {}\n", "", spec.doc));
        }
    }
    out
}

fn constraint(spec: &ParamSpec) -> String {
    match spec.ty {
        ParamType::Choice => format!("; one of: {}", spec.choices.join(", ")),
        ParamType::Integer | ParamType::Float if spec.min.is_some() || spec.max.is_some() => {
            format!("; range {}", range_text(spec))
        }
        _ => String::new(),
    }
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn check_text(report: &CheckReport) -> String {
    let s = &report.stats;
    let params: Vec<String> = report
        .resolved
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let mut out = format!(
        "  loaded  {} {}: compile {} ({:?}), instantiate+describe {}, params+init {}\n  params  {}\n",
        report.info.name,
        report.info.version,
        millis(s.compile),
        s.cache,
        millis(s.describe),
        millis(s.init),
        if params.is_empty() { "(none)".to_string() } else { params.join(", ") },
    );
    for step in &report.steps {
        if step.took.is_zero() {
            out.push_str(&format!("  ok      {}\n", step.what));
        } else {
            out.push_str(&format!(
                "  ok      {}  [{}]\n",
                step.what,
                millis(step.took)
            ));
        }
    }
    out.push_str(&format!(
        "passed: {} conforms to the {} contract\n",
        report.info.name, report.info.kind
    ));
    out
}
