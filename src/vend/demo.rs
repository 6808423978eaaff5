//! `kassa vend`: vends against the built-in simulators from the command line.
