//! `corsgate export` and `corsgate import`: one policy as AWS's CORS
//! configurations, and an S3 bucket's rules back as a policy. The mapping and
//! its losses are core's (`corsgate::export`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use corsgate::export::{self, Target};
use corsgate::PolicySet;

use crate::policy_file::{self, count, write_findings};

#[derive(Clone, Copy, ValueEnum)]
enum To {
    /// S3 `PutBucketCors` CORSConfiguration
    S3,
    /// API Gateway HTTP API CorsConfiguration (CreateApi/UpdateApi)
    ApigatewayHttp,
    /// API Gateway REST API OPTIONS mock integration (PutMethodResponse, PutIntegrationResponse)
    ApigatewayRest,
    /// CloudFront response headers policy (CreateResponseHeadersPolicy)
    Cloudfront,
}

impl From<To> for Target {
    fn from(to: To) -> Target {
        match to {
            To::S3 => Target::S3,
            To::ApigatewayHttp => Target::ApiGatewayHttp,
            To::ApigatewayRest => Target::ApiGatewayRest,
            To::Cloudfront => Target::CloudFront,
        }
    }
}

/// Write a policy as an AWS CORS configuration (JSON on stdout).
///
/// What the target cannot express exactly is an error naming the policy key
/// and what the target would do instead (exit 1, nothing printed on stdout);
/// with `--lossy` each is a warning on stderr and the document is printed.
/// Exits 2 when the file cannot be read.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  corsgate export --to s3 policy.toml > cors.json\n  \
        aws s3api put-bucket-cors --bucket B --cors-configuration file://cors.json\n  \
        corsgate export --to apigateway-http --lossy policy.toml"
)]
pub struct ExportArgs {
    /// The target
    #[arg(long, value_enum)]
    to: To,
    /// Print the document even when it loses something, with a warning per loss
    #[arg(long)]
    lossy: bool,
    /// The policy file (one policy: the targets have no routes)
    policy: PathBuf,
}

pub fn run(args: &ExportArgs) -> ExitCode {
    let set = match policy_file::load(&args.policy) {
        Ok(set) => set,
        Err(error) => {
            policy_file::report(&args.policy, &error);
            return ExitCode::from(if matches!(error, policy_file::LoadError::Invalid(_)) {
                1
            } else {
                2
            });
        }
    };
    let target = Target::from(args.to);
    let Some(policy) = set.as_single() else {
        eprintln!(
            "error: {} has routes; {} configures one policy for the whole bucket, API or \
             distribution: export each route's policy from its own file",
            args.policy.display(),
            target.name()
        );
        return ExitCode::from(1);
    };
    let exported = export::export(policy.config(), target);
    let mut stderr = std::io::stderr().lock();
    let label = if args.lossy { "warning" } else { "error" };
    for loss in &exported.losses {
        let _ = writeln!(stderr, "{label}: {} cannot express {loss}", target.name());
    }
    if !exported.losses.is_empty() && !args.lossy {
        let _ = writeln!(
            stderr,
            "corsgate: {}: {} for {}; change the policy, or pass --lossy to export it anyway",
            args.policy.display(),
            match exported.losses.len() {
                1 => "1 loss".to_owned(),
                n => format!("{n} losses"),
            },
            target.name()
        );
        return ExitCode::from(1);
    }
    let text = serde_json::to_string_pretty(&exported.document).unwrap_or_default();
    match writeln!(std::io::stdout().lock(), "{text}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Source {
    /// S3 `GetBucketCors` output: {"CORSRules": [...]}
    S3,
}

/// Read a configuration back into a policy (SPEC §2 JSON on stdout), built
/// and linted like any policy file.
///
/// Exits 1 when the document or the policy it gives is invalid (every
/// problem listed), 2 when the file cannot be read.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  aws s3api get-bucket-cors --bucket B > rules.json\n  \
        corsgate import --from s3 rules.json > policy.json"
)]
pub struct ImportArgs {
    /// The source format
    #[arg(long, value_enum)]
    from: Source,
    /// The document to read
    file: PathBuf,
}

pub fn run_import(args: &ImportArgs) -> ExitCode {
    let Source::S3 = args.from;
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("corsgate: cannot read {}: {error}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let document: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => {
            eprintln!("error: {} is not JSON: {error}", args.file.display());
            return ExitCode::from(1);
        }
    };
    let policy = match export::import_s3(&document) {
        Ok(policy) => policy,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            eprintln!(
                "corsgate: {}: {}",
                args.file.display(),
                count(errors.len(), "problem")
            );
            return ExitCode::from(1);
        }
    };
    let set = match PolicySet::from_value(&policy) {
        Ok(set) => set,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = write_findings(&mut stderr, "error", error.problems());
            let _ = writeln!(
                stderr,
                "corsgate: {}: the rules give an invalid policy ({})",
                args.file.display(),
                count(error.problems().len(), "problem")
            );
            return ExitCode::from(1);
        }
    };
    let mut stderr = std::io::stderr().lock();
    let _ = write_findings(&mut stderr, "warning", &set.lint());
    let text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    match writeln!(std::io::stdout().lock(), "{text}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
