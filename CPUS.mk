# CPUS.mk: the one place the default hart count lives. `make CPUS=n ...`
# overrides it; the same value becomes QEMU's -smp and the kernel's NCPU.
CPUS ?= 4
