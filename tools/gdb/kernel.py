"""kernel.py: gdb commands that read this kernel's data structures.

Loaded by .gdbinit (tools/gdbinit.in). The command `kernel` lists them
(kread.SUMMARY): harts, procs, uvm, pmem, mmpool, regions, vmprint, uprog;
`help NAME` describes one.

Kernel memory is read at its kernel (upper-half) addresses: every page
table, user or kernel, maps the kernel (kernel/mm/kvm.c), so the reads work
whatever the selected hart is doing. Page-table entries hold physical
addresses; the helpers read a page-table page through the kernel's linear
map, at KVA(pa) = pa + KMAP_BASE (arch/memlayout.h), and print physical
addresses where the kernel's vmprint does. (A kernel from before the move
to the upper half mapped RAM one-to-one; for it, reads go through QEMU's
physical mode, Qqemu.PhyMemMode, as they used to.)

A process is a group of process-table entries, its threads (the leader, made
by fork or exec, and those made by clone), sharing one struct uvm from mm's
pool (kernel/mm/uvm.c) through their vm pointers. The helpers name an
address space by its id, the owner pmem records for its pages, since no
single pid stands for it.

The code is in three modules beside this file: kread.py (constants and
the readers the commands share), kprocs.py (harts, procs, uvm) and kmem.py
(pmem, mmpool, regions, vmprint, uprog). This file puts its folder on
Python's path, loads them (again, if it is sourced again after an edit)
and registers the commands.
"""

import importlib
import os
import sys

import gdb

# gdb sources this file as a script; the modules are in its folder (gdb
# runs from the repository's root, the fallback).
HERE = (os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals()
        else os.path.join(os.getcwd(), "tools", "gdb"))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
for module in ("kread", "kprocs", "kmem"):   # kread first: the others import it
    if module in sys.modules:
        importlib.reload(sys.modules[module])
    else:
        importlib.import_module(module)

from kread import SUMMARY  # noqa: E402
from kprocs import Harts, Procs, Uvm  # noqa: E402
from kmem import Pmem, Mmpool, Regions, Vmprint, Uprog  # noqa: E402


class KernelHelp(gdb.Command):
    """The kernel helpers (tools/gdb/kernel.py); `kernel` lists them.

harts, procs, uvm, pmem [shared|user], mmpool, regions PID, vmprint PID,
uprog NAME;
`help NAME` describes one. Each works wherever the harts are stopped, also
in user mode: kernel memory is read physically (QEMU's Qqemu.PhyMemMode)."""

    def __init__(self):
        super().__init__("kernel", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print(SUMMARY)


KernelHelp()
Harts()
Procs()
Uvm()
Pmem()
Mmpool()
Regions()
Vmprint()
Uprog()
