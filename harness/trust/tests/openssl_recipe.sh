#!/usr/bin/env bash
# Verify a chipcert certificate WITHOUT chipcert: jq, base64, printf and the
# openssl command line only. This is the recipe of harness/trust/README.md,
# run by trust_cli_test against certificates chipcert wrote.
#
# Usage: openssl_recipe.sh CERT.dsse.json SIGNER.pub [RESULTS.json]
# Exit 0 when the signature verifies (and the digests match); non-zero otherwise.
set -euo pipefail
cert=$1
pub=$2
results=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The key: its id is the SHA-256 of its DER SubjectPublicKeyInfo.
keyid=$(openssl pkey -pubin -in "$pub" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
jq -e --arg k "$keyid" '.signatures[0].keyid == $k' "$cert" > /dev/null

# 2. The payload type must be in-toto's.
type=$(jq -j '.payloadType' "$cert")
[ "$type" = "application/vnd.in-toto+json" ]

# 3. Payload and signature bytes (tr maps the URL-safe alphabet to the standard one).
jq -j '.payload' "$cert" | tr '_-' '/+' | base64 -d > "$tmp/payload"
jq -j '.signatures[0].sig' "$cert" | tr '_-' '/+' | base64 -d > "$tmp/sig"
[ "$(wc -c < "$tmp/sig")" -eq 64 ]

# 4. PAE = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes.
printf 'DSSEv1 %d %s %d ' "$(printf '%s' "$type" | wc -c)" "$type" "$(wc -c < "$tmp/payload")" > "$tmp/pae"
cat "$tmp/payload" >> "$tmp/pae"

# 5. The Ed25519 signature over the PAE.
openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$tmp/pae" -sigfile "$tmp/sig"

# 6. What the verified payload says: the embedded profile matches its digest, ...
[ "$(jq -j '.predicate.profile.text' "$tmp/payload" | openssl dgst -sha256 -r | cut -d' ' -f1)" = \
  "$(jq -r '.predicate.profile.sha256' "$tmp/payload")" ]
# ... the results file (when given) is the one certified, ...
if [ -n "$results" ]; then
  [ "$(openssl dgst -sha256 -r < "$results" | cut -d' ' -f1)" = \
    "$(jq -r '.subject[0].digest.sha256' "$tmp/payload")" ]
fi
# ... and the claimed verdict per device.
jq -c '.predicate.verdict.devices[] | {device, valid, tier}' "$tmp/payload"
