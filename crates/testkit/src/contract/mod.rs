//! Contract suites (see the submodules).
