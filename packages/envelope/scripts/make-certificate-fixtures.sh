#!/bin/sh
# Makes the certificate fixtures of the test vectors with the openssl CLI: a root, an intermediate,
# leaves for the test keys ec-p256 and ec-p256-stranger, and the intermediate's CRL revoking the
# stranger's leaf. TEST FIXTURES: the CA keys are deleted, nothing here certifies anything real.
# Valid from 2025-01-01 to 2125-01-01, so the vectors (created 2026-01-01) stay valid. Run from the
# repository root; it rewrites test-vectors/certs/.
set -eu
out=test-vectors/certs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/new"
: > "$work/index.txt"
echo 1000 > "$work/serial"
echo 01 > "$work/crlnumber"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = ca
[ca]
dir = $work
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
crlnumber = $work/crlnumber
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
dates="-startdate 20250101000000Z -enddate 21250101000000Z"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/root.key"
openssl req -new -key "$work/root.key" -subj "/O=Sealpost Test Vectors/CN=Test Vector Root" -out "$work/root.csr"
openssl ca -batch -notext -selfsign -config "$work/ca.cnf" -keyfile "$work/root.key" -extensions root $dates -in "$work/root.csr" -out "$out/root.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/intermediate.key"
openssl req -new -key "$work/intermediate.key" -subj "/O=Sealpost Test Vectors/CN=Test Vector Intermediate" -out "$work/intermediate.csr"
openssl ca -batch -notext -config "$work/ca.cnf" -cert "$out/root.pem" -keyfile "$work/root.key" -extensions intermediate $dates -in "$work/intermediate.csr" -out "$out/intermediate.pem"
for key in ec-p256 ec-p256-stranger; do
  openssl req -new -key "test-vectors/keys/$key.pem" -subj "/O=Sealpost Test Vectors/CN=$key" -out "$work/$key.csr"
  openssl ca -batch -notext -config "$work/ca.cnf" -cert "$out/intermediate.pem" -keyfile "$work/intermediate.key" -extensions leaf $dates -in "$work/$key.csr" -out "$out/$key.pem"
done
openssl ca -config "$work/ca.cnf" -cert "$out/intermediate.pem" -keyfile "$work/intermediate.key" -revoke "$out/ec-p256-stranger.pem" -crl_reason keyCompromise
openssl ca -config "$work/ca.cnf" -cert "$out/intermediate.pem" -keyfile "$work/intermediate.key" -gencrl -crldays 36500 -out "$out/intermediate.crl.pem"
