# Makefile: build, boot, test and debug the kernel. `make help` lists targets.
#
# Knobs (command line or environment):
#   CPUS    harts to boot, also the kernel's NCPU       (default and range in CPUS.mk)
#   MEM     guest RAM, 64M to 4G                         (default 128M)
#   N_MMAP  mmap_region_node pool size, 1 to 65536       (default 256)
#   SEED    seed for randomised runs, 0 to 2^31-1        (default 1)
#   DURATION  seconds of stress (make stress), 1 or more (default 30)
#   DETERMINISTIC=1  single-threaded QEMU with a fixed -icount shift
#   BOOTARGS  extra kernel boot arguments (QEMU -append)
#   LEAK=1   a kernel that leaks one user page on purpose (checks the checkers)
#   INVERT_LOCKS=1  a kernel that takes two locks out of order on purpose
#   NO_SHOOTDOWN=1  a kernel that skips the remote TLB flush on purpose
#   COW_NO_FLUSH=1  a kernel whose fork skips the flush after write-protecting

include CPUS.mk
MEM ?= 128M
N_MMAP ?= 256
SEED ?= 1
DURATION ?= 30
ICOUNT_SHIFT ?= 4
BOOTARGS ?=

# ---- knobs are checked before anything builds ----
# One line naming the knob and what it allows, and exit status 2 (make's
# $(error)), instead of a compiler error or a log named after a typo.
digits := 0 1 2 3 4 5 6 7 8 9
strip_digits = $(if $(2),$(call strip_digits,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,10,$(2))),$(1))
# $(call is_number,V): "yes" if V is one word made only of digits.
is_number = $(and $(filter 1,$(words $(1))),$(if $(call strip_digits,$(1),$(digits)),,yes))
# $(call in_range,V,MIN,MAX): "yes" if the number V is in [MIN, MAX].
in_range = $(shell [ $(1) -ge $(2) ] 2>/dev/null && [ $(1) -le $(3) ] && echo yes)
check_number = $(if $(and $(call is_number,$($(1))),$(call in_range,$($(1)),$(2),$(3))),,\
  $(error $(1)=$($(1)): must be a whole number from $(2) to $(3)))

$(call check_number,CPUS,$(CPUS_MIN),$(CPUS_MAX))
$(call check_number,N_MMAP,1,65536)
$(call check_number,SEED,0,2147483647)
$(call check_number,DURATION,1,86400)
$(call check_number,ICOUNT_SHIFT,0,10)
# The on/off knobs: empty, 0 or 1, so a typo never builds a normal kernel.
check_flag = $(if $(filter-out 0 1,$($(1))),$(error $(1)=$($(1)): must be 1 (on) or 0 (off)))
$(foreach f,LEAK INVERT_LOCKS NO_SHOOTDOWN COW_NO_FLUSH DETERMINISTIC QUICK,$(call check_flag,$(f)))
MEM_MIB := $(if $(call is_number,$(MEM:%M=%)),$(MEM:%M=%),$(if $(call is_number,$(MEM:%G=%)),$(shell expr $(MEM:%G=%) \* 1024)))
$(if $(and $(filter %M %G,$(MEM)),$(MEM_MIB),$(call in_range,$(MEM_MIB),64,4096)),,\
  $(error MEM=$(MEM): must be a size like 128M or 1G, from 64M to 4G))

TOOLPREFIX := riscv64-unknown-elf-
CC := $(TOOLPREFIX)gcc
OBJDUMP := $(TOOLPREFIX)objdump
NM := $(TOOLPREFIX)nm
QEMU := qemu-system-riscv64
GDB := gdb-multiarch

# Each configuration builds in its own folder, so switching CPUS or N_MMAP
# never mixes objects compiled with different limits.
BUILD := build/cpus$(CPUS)-nmmap$(N_MMAP)$(if $(filter 1,$(LEAK)),-leak)$(if $(filter 1,$(INVERT_LOCKS)),-invert)$(if $(filter 1,$(NO_SHOOTDOWN)),-noshootdown)$(if $(filter 1,$(COW_NO_FLUSH)),-cownoflush)
KERNEL := $(BUILD)/kernel.elf

ARCHFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
CFLAGS := -Wall -Werror -O2 -g -std=gnu11 $(ARCHFLAGS) \
	-ffreestanding -fno-common -nostdlib -fno-builtin \
	-fno-stack-protector -fno-pie -fno-omit-frame-pointer \
	-fno-tree-loop-distribute-patterns \
	-MMD -MP -Ikernel -DNCPU=$(CPUS) -DN_MMAP=$(N_MMAP)
ifeq ($(LEAK),1)
CFLAGS += -DDEBUG_LEAK_ONE_PAGE   # a test build that leaks one page on purpose
endif
ifeq ($(INVERT_LOCKS),1)
CFLAGS += -DDEBUG_INVERT_LOCKS    # a test build that takes two locks out of order
endif
ifeq ($(NO_SHOOTDOWN),1)
CFLAGS += -DDEBUG_NO_SHOOTDOWN    # a test build that leaves other harts' TLBs stale
endif
ifeq ($(COW_NO_FLUSH),1)
CFLAGS += -DDEBUG_COW_NO_FLUSH    # a test build whose fork leaves siblings' TLBs writable
endif
LDFLAGS := -nostdlib -no-pie -static -Wl,--no-warn-rwx-segments

KSRCS := $(wildcard kernel/*.c kernel/*/*.c kernel/*/*.S)
KOBJS := $(patsubst kernel/%,$(BUILD)/kernel/%.o,$(KSRCS))

# ---- user programs ----
# Every user/*.c and stress/*.c is a program named after its file; the
# library lives in user/lib/ (plus the formatter and string helpers the
# kernel shares) and stress/lib/. A user program too long for one file
# keeps the rest in user/NAME/ (bench: user/bench/), linked into it alone.
# They do not depend on CPUS, so one build serves every kernel
# configuration.
UBUILD := build/user
UCFLAGS := -Wall -Werror -O2 -g -std=gnu11 $(ARCHFLAGS) \
	-ffreestanding -fno-common -nostdlib -fno-builtin \
	-fno-stack-protector -fno-pie -fno-omit-frame-pointer \
	-fno-tree-loop-distribute-patterns -MMD -MP -Iuser -Ikernel
ULIB_SRCS := $(wildcard user/lib/*.c user/lib/*.S) kernel/lib/fmt.c kernel/lib/string.c
ULIB_OBJS := $(patsubst %,$(UBUILD)/%.o,$(ULIB_SRCS))
SLIB_OBJS := $(patsubst %,$(UBUILD)/%.o,$(wildcard stress/lib/*.c))
UPROGS_USER := $(patsubst user/%.c,%,$(wildcard user/*.c))
UPROGS_STRESS := $(patsubst stress/%.c,%,$(wildcard stress/*.c))
UBINS := $(addprefix $(UBUILD)/bin/,$(UPROGS_USER) $(UPROGS_STRESS))
# The image carries copies without debug sections; gdb reads bin/.
USTRIPPED := $(addprefix $(UBUILD)/stripped/,$(UPROGS_USER) $(UPROGS_STRESS))
PROGIMAGE := $(UBUILD)/progs.img

.PHONY: print-kernel all kernel deps qemu run stress stress-plot fuzz lockstat bench qemu-gdb gdb gdbinit test host-test clean help

all: kernel

kernel: $(KERNEL)

$(KERNEL): $(KOBJS) kernel/kernel.ld | deps
	$(CC) $(CFLAGS) $(LDFLAGS) -T kernel/kernel.ld -o $@ $(KOBJS) -lgcc
	$(OBJDUMP) -S $@ > $(BUILD)/kernel.asm
	$(NM) -n $@ > $(BUILD)/kernel.sym

$(BUILD)/kernel/%.c.o: kernel/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/kernel/%.S.o: kernel/%.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

-include $(KOBJS:.o=.d)

# The kernel embeds the program image.
$(BUILD)/kernel/proc/progimage.S.o: CFLAGS += -DPROGIMAGE_FILE='"$(PROGIMAGE)"'
$(BUILD)/kernel/proc/progimage.S.o: $(PROGIMAGE)

$(UBUILD)/%.c.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c -o $@ $<

$(UBUILD)/%.S.o: %.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c -o $@ $<

ULDFLAGS := -nostdlib -no-pie -static -Wl,--no-warn-rwx-segments -T user/user.ld

# The objects of user/NAME/*.c, the rest of program NAME.
uparts = $(patsubst %,$(UBUILD)/%.o,$(wildcard user/$(1)/*.c))

.SECONDEXPANSION:
$(addprefix $(UBUILD)/bin/,$(UPROGS_USER)): $(UBUILD)/bin/%: $(UBUILD)/user/%.c.o \
		$$(call uparts,$$*) $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(ULDFLAGS) -o $@ $< $(call uparts,$*) $(ULIB_OBJS) -lgcc

# An archive, so each stress program links only the helpers it uses.
SLIB := $(UBUILD)/libstress.a
$(SLIB): $(SLIB_OBJS)
	rm -f $@
	$(TOOLPREFIX)ar rcs $@ $(SLIB_OBJS)

$(addprefix $(UBUILD)/bin/,$(UPROGS_STRESS)): $(UBUILD)/bin/%: $(UBUILD)/stress/%.c.o $(SLIB) $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(ULDFLAGS) -o $@ $< $(SLIB) $(ULIB_OBJS) -lgcc

$(UBUILD)/mkprogimage: tools/mkprogimage.c kernel/proc/progimage.h
	@mkdir -p $(dir $@)
	gcc -Wall -Werror -O2 -Ikernel -o $@ $<

$(UBUILD)/stripped/%: $(UBUILD)/bin/%
	@mkdir -p $(dir $@)
	$(TOOLPREFIX)objcopy --strip-debug $< $@

$(PROGIMAGE): $(UBUILD)/mkprogimage $(USTRIPPED)
	$(UBUILD)/mkprogimage $@ $(USTRIPPED)

-include $(wildcard $(UBUILD)/*/*.d $(UBUILD)/*/*/*.d $(UBUILD)/*/*/*/*.d)

deps:
	@tools/deps.sh

# ---- running ----

# aclint=on: supervisor software interrupts (SSWI), the TLB shootdown's IPIs.
QEMUOPTS = -machine virt,aclint=on -bios none -kernel $(KERNEL) -m $(MEM) \
	-smp $(CPUS) -nographic -no-reboot
ifeq ($(DETERMINISTIC),1)
QEMUOPTS += -accel tcg,thread=single -icount shift=$(ICOUNT_SHIFT),sleep=off
endif

# Both keep the console in $(BUILD)/qemu.log or run.log and, after a
# panic, print the report again with source lines (tools/run-qemu.sh).
qemu: kernel
	@tools/run-qemu.sh $(KERNEL) $(BUILD)/qemu.log \
		$(QEMU) $(QEMUOPTS) -append "$(BOOTARGS)"

# Boots, runs one program (CMD="prog args") and powers off with its status.
run: kernel
	@tools/run-qemu.sh $(KERNEL) $(BUILD)/run.log \
		$(QEMU) $(QEMUOPTS) -append "$(BOOTARGS) -- $(CMD)"

# The stress suite: progress while it runs, the metrics table, the leak
# report and audit at the end, exit status 0 only if nothing leaked and
# every check passed. The log and CSV are named after every knob that
# changes the run (tools/stress.sh), e.g. build/stress/stress-cpus4-seed1-30s.log.
STRESS_ENV = KERNEL=$(KERNEL) QEMUOPTS="$(QEMUOPTS)" CPUS=$(CPUS) SEED=$(SEED) \
	DURATION=$(DURATION) MEM=$(MEM) MEM_MIB=$(MEM_MIB) N_MMAP=$(N_MMAP) \
	LEAK=$(LEAK) INVERT_LOCKS=$(INVERT_LOCKS) NO_SHOOTDOWN=$(NO_SHOOTDOWN) \
	COW_NO_FLUSH=$(COW_NO_FLUSH) \
	DETERMINISTIC=$(DETERMINISTIC) ICOUNT_SHIFT=$(ICOUNT_SHIFT)

stress: kernel
	@$(STRESS_ENV) OUT=$(or $(OUT),build/stress) tools/stress.sh

# The syscall fuzzer, with the same report, verdict and exit status.
fuzz: kernel
	@$(STRESS_ENV) OUT=$(or $(OUT),build/fuzz) PROGRAM=fuzz tools/stress.sh

# Lock statistics: a stress run (SEED, DURATION as for stress) under the
# lockstat program, which prints every lock class's acquires, contended
# acquires and spins per acquire during the run, the most contended first.
lockstat: kernel
	@tools/run-qemu.sh $(KERNEL) $(BUILD)/lockstat.log $(QEMU) $(QEMUOPTS) \
		-append "$(BOOTARGS) -- lockstat stress --seed $(SEED) --duration $(DURATION)"

# Benchmarks: boots the program bench (user/bench.c), prints its table of
# costs (system call, fault, sbrk, fork, faults per second at 1..CPUS
# harts, lock contention) and writes it as CSV to
# build/bench/bench-cpusN[-det].csv (tools/bench.sh). Numbers only: it
# fails only if the run does. QUICK=1 takes fewer samples (the smoke test).
bench: kernel
	@CPUS=$(CPUS) DETERMINISTIC=$(DETERMINISTIC) ICOUNT_SHIFT=$(ICOUNT_SHIFT) \
		QUICK=$(QUICK) OUT=$(or $(OUT),build/bench) tools/bench.sh

# Draws a run's samples as an SVG (and a PNG if a converter is installed):
# RUN=build/stress/<run> (the log/CSV name without its ending) or CSV=path;
# with neither, the newest run in build/stress.
stress-plot:
	@tools/stress-plot.sh $(or $(CSV),$(RUN))

# gdb listens on a port derived from the user id, so two users of one
# machine do not collide; `make gdb` in a second terminal attaches to it.
GDBPORT ?= $(shell expr `id -u` % 5000 + 25000)

# One .gdbinit per configuration, so parallel sessions do not overwrite it.
GDBINIT := $(BUILD)/.gdbinit

gdbinit: kernel
	@sed -e 's|@KERNEL@|$(KERNEL)|' -e 's|@PORT@|$(GDBPORT)|' \
		tools/gdbinit.in > $(GDBINIT)
	@echo "wrote $(GDBINIT) for $(KERNEL), port $(GDBPORT)"

qemu-gdb: gdbinit
	@echo "QEMU waits for gdb on port $(GDBPORT): run 'make gdb' in another terminal"
	$(QEMU) $(QEMUOPTS) -append "$(BOOTARGS)" -S -gdb tcp::$(GDBPORT)

GDBFLAGS ?=
gdb: gdbinit
	$(GDB) -q -nx -x $(GDBINIT) $(GDBFLAGS)

# ---- tests ----

host-test: | deps
	@tests/host/run.sh

test: | deps
	@tests/run.sh

clean:
	rm -rf build

help:
	@echo "make [CPUS=n] [MEM=128M] [N_MMAP=256]   build $(BUILD)/kernel.elf"
	@echo "make qemu        boot to the shell on the console (Ctrl-A X quits)"
	@echo "make run CMD=\"prog args\"  boot, run one program, exit with its status"
	@echo "make qemu-gdb    boot paused, waiting for gdb; then 'make gdb'"
	@echo "make stress [SEED=n DURATION=s]  the stress suite, its metrics and leak report;"
	@echo "                 log and CSV in build/stress/stress-cpusN-seedS-Ds[-knobs].*"
	@echo "make stress-plot [RUN=build/stress/<run>]  draw a run (the newest if none)"
	@echo "make fuzz [SEED=n DURATION=s]    the system-call fuzzer, same report"
	@echo "make lockstat [SEED=n DURATION=s] a stress run, then each lock class's contention"
	@echo "make bench       syscall, fault, sbrk, fork, parallel faults, lock contention: one"
	@echo "                 table, CSV in build/bench/bench-cpusN[-det].csv (DETERMINISTIC=1: instructions)"
	@echo "make test        every test; ends with 'N passed, N failed'"
	@echo "make host-test   only the host unit tests (TSan, ASan+UBSan)"
	@echo "make deps        install the Debian packages the build needs"

# For scripts: the kernel path of this configuration.
print-kernel:
	@echo $(KERNEL)
