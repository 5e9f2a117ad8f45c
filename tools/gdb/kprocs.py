"""kprocs.py: the kernel helpers on harts, processes and address spaces:
harts, procs, uvm (kernel.py registers them)."""

import gdb

from kread import *  # noqa: F401,F403 (the shared readers and constants)


class Harts(gdb.Command):
    """Every hart: mode, interrupts, pc, the process and space it runs, locks.

Usage: harts
One line per gdb thread (hart N is thread N+1):
  hart  the hart id        mode  U, S or M (the $priv register)
  SIE   sstatus.SIE: supervisor interrupts on or off ("?" if unreadable)
  pc    and the kernel function it is in (user pcs have no symbol unless
        `uprog` loaded the program)
  proc  pid and name from cpus[hart].proc (a thread's own id); "-" while
        in the scheduler
  space the id of that process's address space (proc->vm->id), which its
        threads share; "-" for none (no process, or vm NULL)
  locks the spinlocks the hart holds (hart_locks[hart].held), in order;
        a process's lock shows its pid (proc[pid 3]), an address space's
        its id (uvm[space 4]), a lock in an allocated page its address
        (pipe@0x803a9000)"""

    ROW = "%-4s %-4s %-3s %-37s %-17s %-5s %s"

    def __init__(self):
        super().__init__("harts", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        regs = self.read_registers()
        with KernelMemory():
            cpus = global_var("cpus")
            locks = static_var("sync/spinlock.c", "hart_locks")
            ncpu = array_len(cpus)
            print(self.ROW % ("hart", "mode", "SIE", "pc", "proc", "space",
                              "locks held"))
            for hart, mode, sie, pc in regs:
                if hart >= ncpu:
                    print(self.ROW % (hart, mode, sie, pc, "parked", "-",
                                      "(beyond NCPU)"))
                    continue
                p = cpus[hart]["proc"]
                proc = space = "-"
                if int(p) != 0:
                    proc = "%d %s" % (int(p["pid"]), cstr(p["name"].address))
                    space = space_text(proc_vm(p))
                h = locks[hart]
                held = [lock_label(h["held"][j])
                        for j in range(min(int(h["nheld"]), array_len(h["held"])))]
                if int(h["waiting"]) != 0:
                    held.append("waits for " + lock_label(h["waiting"]))
                print(self.ROW % (hart, mode, sie, pc, proc, space,
                                  ", ".join(held) or "-"))

    @staticmethod
    def read_registers():
        """(hart, mode, SIE, pc text) per thread, selection restored after."""
        old_thread = gdb.selected_thread()
        old_frame = gdb.selected_frame() if old_thread is not None else None
        rows = []
        try:
            for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
                t.switch()
                rows.append((t.ptid[1] - 1, Harts.reg_text("$priv", PRIV_NAMES),
                             Harts.sie(), Harts.pc_text()))
        finally:
            if old_thread is not None:
                old_thread.switch()
                try:
                    old_frame.select()
                except gdb.error:
                    pass
        return rows

    @staticmethod
    def reg_text(reg, names):
        try:
            return names.get(int(gdb.parse_and_eval(reg)), "?")
        except gdb.error:
            return "?"

    @staticmethod
    def sie():
        try:
            return "on" if int(gdb.parse_and_eval("$sstatus")) & SSTATUS_SIE else "off"
        except gdb.error:
            return "?"

    @staticmethod
    def pc_text():
        """pc and the function holding it (not an inlined helper's name)."""
        pc = int(gdb.parse_and_eval("$pc"))
        try:
            where = gdb.execute("info symbol 0x%x" % pc, to_string=True)
        except gdb.error:
            where = ""
        if TRAMPOLINE <= pc < TRAMPOLINE + PGSIZE:
            return "%s trampoline+%d" % (hex_p(pc), pc - TRAMPOLINE)
        if " in section " not in where:
            return hex_p(pc)
        func = where.split(" in section ")[0].replace(" + ", "+")
        return "%s %s" % (hex_p(pc), func)


class Procs(gdb.Command):
    """The process table: every slot that is not UNUSED, threads included.

Usage: procs
Columns: slot in proc_table, pid (a thread's own id), state, parent's pid
(for a thread: the thread that cloned it; "-": none), the hart it runs or
last ran on, kind (leader: made by fork or exec and standing for the
process; thread: made by clone), group (the leader's pid; "-" for a slot
still being set up), space (the id of the address space vm points at,
shared by the group; "-": vm is NULL, before init's first exec or after
exit), the heap break (vm->brk) and the number of mmap regions (nodes in
vm->regions) of that space, and the program name."""

    ROW = "%-4s %-5s %-9s %-5s %-4s %-6s %-5s %-5s %-12s %-7s %s"

    def __init__(self):
        super().__init__("procs", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            limit = n_mmap() + 1
            print(self.ROW % ("slot", "pid", "state", "ppid", "hart", "kind",
                              "group", "space", "brk", "regions", "name"))
            for slot, p in live_procs():
                parent, group, vm = p["parent"], p["group"], proc_vm(p)
                ppid = str(int(parent["pid"])) if int(parent) != 0 else "-"
                gpid = str(int(group["pid"])) if int(group) != 0 else "-"
                brk = nregions = "-"
                if vm is not None:
                    brk = hex_p(int(vm["brk"]))
                    nregions = len(list_nodes(vm["regions"], limit))
                print(self.ROW % (
                    slot, int(p["pid"]), str(p["state"]), ppid, int(p["hart"]),
                    "thread" if int(p["is_thread"]) else "leader", gpid,
                    space_text(vm), brk, nregions, cstr(p["name"].address)))


class Uvm(gdb.Command):
    """Every address space in use: mm's pool of struct uvm (kernel/mm/uvm.c).

Usage: uvm
First how many of the pool's slots are in use, then one line per space in
use, by id:
  space   its id, the owner pmem records for its pages
  refs    its reference count (vm->refs)
  harts   the harts running one of its threads in user mode (tlb.c's
          in_user[h] names the space); "-": none
  pt      the page-table root        heap     [image_end, brk)
  regions the nodes in its region list
  pids    the process-table entries whose vm points at it: a process's
          leader and threads, in table order
A note follows a space whose reference count differs from the entries
pointing at it (expected only mid-way through fork, exec, clone or exit:
they hold a reference of their own), one in use with no reference (being
set up or freed), one whose lock is held, and an entry whose vm points at
a slot that is not in use (a bug)."""

    ROW = "%-5s %-4s %-7s %-12s %-26s %-7s %s"

    def __init__(self):
        super().__init__("uvm", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            pool = uvm_pool()
            spaces = live_spaces()
            limit = n_mmap() + 1
            users = {}
            for _, p in live_procs():
                vm = proc_vm(p)
                if vm is not None:
                    users.setdefault(int(vm), []).append(int(p["pid"]))
            print("uvm: %d of %d spaces in use" % (len(spaces), array_len(pool)))
            print(self.ROW % ("space", "refs", "harts", "pt", "heap", "regions",
                              "pids"))
            notes = []
            in_user = static_var("mm/tlb.c", "in_user")
            for _, vm in spaces:
                vid, refs = int(vm["id"]), int(vm["refs"])
                pids = users.pop(int(vm.address), [])
                harts = ",".join(str(h) for h in range(array_len(in_user))
                                 if int(in_user[h]["vm"]) == int(vm.address))
                heap = "[%s, %s)" % (hex_p(int(vm["image_end"])), hex_p(int(vm["brk"])))
                print(self.ROW % (
                    vid, refs, harts or "-", hex_p(int(vm["pt"])), heap,
                    len(list_nodes(vm["regions"], limit)),
                    " ".join(map(str, pids)) or "-"))
                if refs <= 0 and not pids:
                    notes.append("space %d: no references: uvm_alloc or the last "
                                 "uvm_put is part-way through it" % vid)
                elif refs != len(pids):
                    notes.append("space %d: %d references, %d entries point at it"
                                 % (vid, refs, len(pids)))
                if int(vm["lock"]["locked"]):
                    notes.append("space %d: its lock is held by hart %d" %
                                 (vid, int(vm["lock"]["hart"])))
            for addr, pids in sorted(users.items()):
                notes.append("pid %s: vm %s is not a space in use" %
                             (" ".join(map(str, pids)), hex_p(addr)))
            for n in notes:
                print("note: " + n)
