#!/usr/bin/env bash
# AWS: `corsgate export` documents validated offline with botocore's service
# models (S3 PutBucketCors, API Gateway v2 CreateApi/UpdateApi, API Gateway
# PutMethod/PutIntegration/PutMethodResponse/PutIntegrationResponse,
# CloudFront CreateResponseHeadersPolicy), `corsgate import --from s3`, and
# the exported S3 rules applied to moto's S3 server on 127.0.0.1 (started and
# stopped by the test) answering the vectors' preflights. The Lambda
# wrappers are tested in the Python and Node suites.
# Run by tests/run from the repository root; needs python3, pip, cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
venv="$root/target/aws-venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
echo "--- pip install (botocore, moto, pytest; pinned)"
"$venv/bin/python" -m pip install --quiet -r tests/aws/requirements.txt

echo "--- cargo build --release -p corsgate-cli"
cargo build --quiet --release --locked -p corsgate-cli

echo "--- pytest tests/aws"
CORSGATE="${CARGO_TARGET_DIR:-$root/target}/release/corsgate" \
  "$venv/bin/python" -m pytest -W error -p no:cacheprovider -q tests/aws
