//! `corsgate::export`: the documents and the losses per target.

use corsgate::export::{export, import_s3, Target};
use corsgate::Policy;
use serde_json::json;

fn config(toml: &str) -> corsgate::PolicyConfig {
    Policy::from_toml(toml)
        .expect("valid policy")
        .config()
        .clone()
}

#[test]
fn an_exact_policy_has_no_losses_where_the_target_can_say_it() {
    let c = config(
        r#"origins = ["https://app.example.com"]
        credentials = true
        methods = ["PUT"]
        request_headers = ["content-type"]
        max_age = 60"#,
    );
    for target in [
        Target::S3,
        Target::ApiGatewayHttp,
        Target::CloudFront,
        Target::ApiGatewayRest,
    ] {
        assert!(export(&c, target).losses.is_empty(), "{}", target.name());
    }
    let s3 = export(&c, Target::S3).document;
    assert_eq!(
        s3,
        json!({"CORSRules": [{
            "AllowedHeaders": ["content-type"],
            "AllowedMethods": ["GET", "HEAD", "POST", "PUT"],
            "AllowedOrigins": ["https://app.example.com"],
            "MaxAgeSeconds": 60
        }]})
    );
}

#[test]
fn each_loss_names_the_key() {
    let c = config(
        r#"origins = ["https://*.example.com:*"]
        methods = ["PATCH"]
        private_network = { allow = true }"#,
    );
    let keys = |t| -> Vec<&'static str> { export(&c, t).losses.iter().map(|l| l.key).collect() };
    assert_eq!(
        keys(Target::S3),
        ["private_network.allow", "origins", "credentials", "methods"]
    );
    assert_eq!(
        keys(Target::ApiGatewayHttp),
        ["private_network.allow", "origins"]
    );
    assert_eq!(
        keys(Target::CloudFront),
        ["private_network.allow", "origins"]
    );
    let loss = &export(&c, Target::S3).losses[3];
    assert_eq!(loss.value, "\"PATCH\"");
    assert!(loss
        .to_string()
        .contains("S3 allows only GET, PUT, POST, DELETE and HEAD"));
}

#[test]
fn target_names_round_trip() {
    for t in Target::ALL {
        assert_eq!(Target::from_name(t.name()), Some(t));
    }
    assert_eq!(Target::from_name("azure"), None);
}

#[test]
fn import_reads_rules_and_lists_problems() {
    let policy = import_s3(&json!({"CORSRules": [{
        "AllowedOrigins": ["http://localhost:*", "http://localhost"],
        "AllowedMethods": ["GET", "DELETE"],
        "MaxAgeSeconds": 5
    }]}))
    .expect("imports");
    assert_eq!(
        policy,
        json!({"origins": ["http://localhost:*"], "credentials": true, "methods": ["DELETE"], "max_age": 5})
    );
    let errors = import_s3(&json!([{"AllowedOrigins": 1, "MaxAgeSeconds": 1.5}])).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].at, "CORSRules[0].AllowedOrigins");
}
