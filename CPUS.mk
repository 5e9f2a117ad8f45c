# CPUS.mk: the one place the hart count's default and its supported range
# live. `make CPUS=n ...` overrides the default; the same value becomes
# QEMU's -smp and the kernel's NCPU. The Makefile refuses anything outside
# [CPUS_MIN, CPUS_MAX] before it builds.
CPUS ?= 4
CPUS_MIN := 1
CPUS_MAX := 16
