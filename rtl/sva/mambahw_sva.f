// Assertion-run additions to rtl/mambahw.f (relative to this directory):
// the protocol checker and the bind file. Never part of synthesis.
valid_ready_checker.sv
mambahw_bind.sv
