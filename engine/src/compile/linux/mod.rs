//! The Linux backend: IR → Landlock ruleset plan + seccomp BPF program.
