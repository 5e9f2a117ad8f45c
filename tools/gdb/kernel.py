"""kernel.py: gdb commands that read this kernel's data structures.

Loaded by .gdbinit (tools/gdbinit.in). The command `kernel` lists them:

  harts          every hart: mode, interrupts, pc, its process, locks held
  procs          the process table
  pmem           physical pages, total, free and per kind (memstat's words)
  mmpool         the mmap_region_node pool: free list and the nodes in use
  regions PID    a process's heap and regions   } in the format of the
  vmprint PID    ... and its page table         } kernel's uvm_print
  uprog NAME     load user program NAME's symbols (linked at 0x1000)

Kernel memory is read with QEMU's gdbstub in physical mode
(Qqemu.PhyMemMode): the kernel maps RAM one-to-one, so physical and kernel
virtual addresses agree, and the reads work whatever the selected hart is
doing (in user mode its satp holds a user page table that maps no kernel
data). Registers are read outside that mode, so unwinding never sees it.
"""

import os
import struct

import gdb

PGSIZE = 4096
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U = 0x1, 0x2, 0x4, 0x8, 0x10
PTE_LEAF_MASK = PTE_R | PTE_W | PTE_X
PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
SSTATUS_SIE = 1 << 1
TRAMPOLINE = (1 << 38) - PGSIZE     # uapi/layout.h: VA_MAX - PGSIZE
# uapi/memstat.h PMEM_KIND_NAMES; used only if audit.c's copy is missing.
KIND_NAMES = ["free", "pgtbl", "user", "kstack", "trapframe", "pipe", "other"]
PRIV_NAMES = {0: "U", 1: "S", 3: "M"}
SUMMARY = """\
  harts          every hart: mode, interrupts, pc, its process, locks held
  procs          the process table
  pmem           physical pages, total, free and per kind (memstat's words)
  mmpool         the mmap_region_node pool: free list and the nodes in use
  regions PID    a process's heap and regions   } in the format of the
  vmprint PID    ... and its page table         } kernel's uvm_print
  uprog NAME     load user program NAME's symbols (linked at 0x1000)"""


# ---- reading the kernel ------------------------------------------------

class KernelMemory:
    """`with KernelMemory():` makes memory reads physical for its body.

    Without QEMU's physical mode (another stub), reads go through the
    selected hart's MMU as usual and fail if it runs a user page table.
    """

    def __enter__(self):
        self.physical = self._mode(1)
        return self

    def __exit__(self, *exc):
        if self.physical:
            self._mode(0)
            # Nothing read in physical mode may be reused later.
            gdb.execute("maintenance flush dcache", to_string=True)
        return False

    @staticmethod
    def _mode(on):
        try:
            out = gdb.execute("maintenance packet Qqemu.PhyMemMode:%d" % on,
                              to_string=True)
        except gdb.error:
            return False
        return '"OK"' in out


def static_var(filename, name):
    """The file-static (or global) variable `name` defined in `filename`."""
    try:
        for sym in gdb.lookup_static_symbols(name):
            if sym.symtab is not None and sym.symtab.filename.endswith(filename):
                return sym.value()
    except AttributeError:      # gdb older than 10
        pass
    return gdb.parse_and_eval("'%s'::%s" % (os.path.basename(filename), name))


def global_var(name):
    sym = gdb.lookup_global_symbol(name)
    if sym is None:
        raise gdb.GdbError("no kernel symbol %s: is the kernel loaded?" % name)
    return sym.value()


def array_len(value):
    lo, hi = value.type.strip_typedefs().range()
    return hi - lo + 1


def cstr(ptr, limit=64):
    """The C string at ptr (a char pointer or array address), or "?"."""
    if int(ptr) == 0:
        return "(null)"
    try:
        raw = bytes(gdb.selected_inferior().read_memory(int(ptr), limit))
    except gdb.MemoryError:
        return "?"
    return raw.split(b"\0")[0].decode("ascii", "replace")


def kind_names():
    """pmem's kind names, from the kernel's own PMEM_KIND_NAMES array."""
    try:
        names = global_var("pmem_kind_names")
        return [cstr(names[i]) for i in range(array_len(names))]
    except (gdb.error, RuntimeError):
        return list(KIND_NAMES)


def list_nodes(head, limit):
    """The nodes of a region list, at most `limit` (a loop would be a bug)."""
    nodes = []
    n = head
    while int(n) != 0 and len(nodes) < limit:
        nodes.append(n.dereference())
        n = n["next"]
    return nodes


def n_mmap():
    return array_len(static_var("mm/mmap.c", "pool")["nodes"])


def node_index(node_addr):
    pool = static_var("mm/mmap.c", "pool")
    base = int(pool["nodes"][0].address)
    size = pool["nodes"][0].type.sizeof
    off = node_addr - base
    if off < 0 or off % size != 0 or off // size >= array_len(pool["nodes"]):
        return -1
    return off // size


def live_procs():
    """(slot, struct proc value) for every slot not UNUSED."""
    table = global_var("proc_table")
    out = []
    for i in range(array_len(table)):
        p = table[i]
        if str(p["state"]) != "UNUSED":
            out.append((i, p))
    return out


def find_proc(arg):
    """The struct proc for a process name (the first in the table with it),
    or a pid: a number or any gdb expression."""
    arg = arg.strip()
    if not arg:
        raise gdb.GdbError("which process? give a pid or a program name")
    procs = [p for _, p in live_procs()]
    for p in procs:
        if cstr(p["name"].address) == arg:
            return p
    try:
        pid = int(gdb.parse_and_eval(arg))
    except gdb.error:
        raise gdb.GdbError("no live process named %s" % arg)
    for p in procs:
        if int(p["pid"]) == pid:
            return p
    raise gdb.GdbError("no live process with pid %d" % pid)


def hex_p(v):
    """The kernel's %p: 0x and lowercase hex, no padding."""
    return "0x%x" % v


def prot_str(prot):
    return ((prot & PROT_READ and "r" or "-") + (prot & PROT_WRITE and "w" or "-") +
            (prot & PROT_EXEC and "x" or "-"))


def pte_str(pte):
    return ((pte & PTE_R and "r" or "-") + (pte & PTE_W and "w" or "-") +
            (pte & PTE_X and "x" or "-") + (pte & PTE_U and "u" or "-"))


def read_table(pa):
    """The 512 PTEs of the page-table page at physical address pa."""
    mem = gdb.selected_inferior().read_memory(pa, PGSIZE)
    return struct.unpack("<512Q", bytes(mem))


# ---- the address-space printers (kernel/mm/uvm.c, uvm_print) ------------

def region_lines(vm):
    """uvm_print's heap and region lines for struct uvm vm."""
    nodes = list_nodes(vm["regions"], n_mmap() + 1)
    lines = ["heap [%s, %s)" % (hex_p(int(vm["image_end"])), hex_p(int(vm["brk"]))),
             "regions (%d):" % len(nodes)]
    for r in nodes:
        begin, npages = int(r["begin"]), int(r["npages"])
        lines.append("  [%s, %s) %d pages %s  node %d" % (
            hex_p(begin), hex_p(begin + npages * PGSIZE), npages,
            prot_str(int(r["prot"])), node_index(int(r.address))))
    return lines


def table_lines(pt, level, out):
    """print_level: one line per valid PTE, depth first, as uvm.c does."""
    indent = {2: " ..", 1: " .. ..", 0: " .. .. .."}[level]
    try:
        ptes = read_table(pt)
    except gdb.MemoryError:
        out.append("%s(page table page %s unreadable)" % (indent, hex_p(pt)))
        return
    for i, pte in enumerate(ptes):
        if not pte & PTE_V:
            continue
        pa = (pte >> 10) << 12
        out.append("%s%d: pte %s pa %s %s" % (indent, i, hex_p(pte), hex_p(pa),
                                              pte_str(pte)))
        if not pte & PTE_LEAF_MASK and level > 0:
            table_lines(pa, level - 1, out)


def vm_lines(p):
    """sys_vmprint's whole output for struct proc p."""
    vm = p["vm"]
    pt = int(vm["pt"])
    lines = ["pid %d (%s) address space:" % (int(p["pid"]), cstr(p["name"].address))]
    lines += region_lines(vm)
    lines.append("page table %s" % hex_p(pt))
    if pt != 0:
        table_lines(pt, 2, lines)
    return lines


def lock_label(lk):
    """A held lock's name, told apart from its namesakes: the pid for a
    process's own locks (proc, uvm), the address for one outside the
    kernel image (a pipe's), nothing more for a kernel variable."""
    name = cstr(lk["name"])
    addr = int(lk)
    table = global_var("proc_table")
    start = int(table.address)
    slot = (addr - start) // table[0].type.sizeof
    if start <= addr and slot < array_len(table):
        return "%s[pid %d]" % (name, int(table[slot]["pid"]))
    where = gdb.execute("info symbol 0x%x" % addr, to_string=True)
    if " in section " in where:
        return name
    return "%s@%s" % (name, hex_p(addr))


def lock_note(lk):
    """' (lock held by hart N)' if spinlock lk is taken, else ''."""
    if int(lk["locked"]):
        return " (lock held by hart %d)" % int(lk["hart"])
    return ""


# ---- the commands --------------------------------------------------------

class KernelHelp(gdb.Command):
    """The kernel helpers (tools/gdb/kernel.py); `kernel` lists them.

harts, procs, pmem, mmpool, regions PID, vmprint PID, uprog NAME; `help
NAME` describes one. Each works wherever the harts are stopped, also in
user mode: kernel memory is read physically (QEMU's Qqemu.PhyMemMode)."""

    def __init__(self):
        super().__init__("kernel", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print(SUMMARY)


class Harts(gdb.Command):
    """Every hart: mode, interrupts, pc, the process it runs, locks held.

Usage: harts
One line per gdb thread (hart N is thread N+1):
  hart  the hart id        mode  U, S or M (the $priv register)
  SIE   sstatus.SIE: supervisor interrupts on or off ("?" if unreadable)
  pc    and the kernel function it is in (user pcs have no symbol unless
        `uprog` loaded the program)
  proc  pid and name from cpus[hart].proc; "-" while in the scheduler
  locks the spinlocks the hart holds (hart_locks[hart].held), in order;
        a process's own locks show its pid (uvm[pid 3]), a lock in an
        allocated page its address (pipe@0x803a9000)"""

    ROW = "%-4s %-4s %-3s %-37s %-17s %s"

    def __init__(self):
        super().__init__("harts", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        regs = self.read_registers()
        with KernelMemory():
            cpus = global_var("cpus")
            locks = static_var("sync/spinlock.c", "hart_locks")
            ncpu = array_len(cpus)
            print(self.ROW % ("hart", "mode", "SIE", "pc", "proc", "locks held"))
            for hart, mode, sie, pc in regs:
                if hart >= ncpu:
                    print(self.ROW % (hart, mode, sie, pc, "parked", "(beyond NCPU)"))
                    continue
                p = cpus[hart]["proc"]
                proc = "-"
                if int(p) != 0:
                    proc = "%d %s" % (int(p["pid"]), cstr(p["name"].address))
                h = locks[hart]
                held = [lock_label(h["held"][j])
                        for j in range(min(int(h["nheld"]), array_len(h["held"])))]
                if int(h["waiting"]) != 0:
                    held.append("waits for " + lock_label(h["waiting"]))
                print(self.ROW % (hart, mode, sie, pc, proc, ", ".join(held) or "-"))

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
    """The process table: every slot that is not UNUSED.

Usage: procs
Columns: slot in proc_table, pid, state, parent's pid ("-": none), the hart
it runs or last ran on, the heap break (vm.brk), the number of mmap regions
(nodes in vm.regions), and the program name."""

    def __init__(self):
        super().__init__("procs", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            limit = n_mmap() + 1
            print("slot pid   state     ppid  hart brk          regions name")
            for slot, p in live_procs():
                parent = p["parent"]
                ppid = str(int(parent["pid"])) if int(parent) != 0 else "-"
                vm = p["vm"]
                print("%-4d %-5d %-9s %-5s %-4d %-12s %-7d %s" % (
                    slot, int(p["pid"]), str(p["state"]), ppid, int(p["hart"]),
                    hex_p(int(vm["brk"])), len(list_nodes(vm["regions"], limit)),
                    cstr(p["name"].address)))


class Pmem(gdb.Command):
    """Physical pages: total, free, and how many of each kind.

Usage: pmem
Reads pmem (kernel/mm/pmem.c) without taking its lock. The words are
memstat's: pages_total, pages_free, then one line per kind of page named
as in PMEM_KIND_NAMES (uapi/memstat.h), the same numbers memstat returns.
A note follows if the kinds do not add up to pages_total (caught mid-way
through pmem_alloc/pmem_free, or a bug)."""

    def __init__(self):
        super().__init__("pmem", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            pmem = static_var("mm/pmem.c", "pmem")
            by_kind = pmem["by_kind"]
            counts = [int(by_kind[k]) for k in range(array_len(by_kind))]
            names = kind_names()
            total = int(pmem["npages"])
            if total == 0:
                print("pmem: not set up yet (pmem_init has not run)")
                return
            print("pmem: pages_total %d pages_free %d%s" %
                  (total, counts[0], lock_note(pmem["lock"])))
            for k, n in enumerate(counts):
                name = names[k] if k < len(names) else "kind%d" % k
                print("  %-10s %d" % (name, n))
            if sum(counts) != total:
                print("note: the kinds add up to %d, not %d" % (sum(counts), total))


class Mmpool(gdb.Command):
    """The mmap_region_node pool: free nodes, free-list head, nodes in use.

Usage: mmpool
First nodes_total and nodes_free (pool.nfree; memstat's words), then the
node at the head of the free list (the next mmap_region_alloc returns it).
Then every node in use, found by walking each live process's region list:
node index, owner pid and name, range, pages and prot. Nodes marked in use
that no process holds are listed as unowned (a leak, or an edit caught
half-way); a free list whose length differs from nfree is reported too."""

    def __init__(self):
        super().__init__("mmpool", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            pool = static_var("mm/mmap.c", "pool")
            total = array_len(pool["nodes"])
            nfree = int(pool["nfree"])
            if nfree == 0 and int(pool["free"]) == 0 and \
               not any(int(pool["nodes"][i]["in_use"]) for i in range(total)):
                print("mmpool: not set up yet (mmap_init has not run)")
                return
            head = int(pool["free"])
            head_text = "node %d" % node_index(head) if head else "none (empty)"
            print("mmpool: nodes_total %d nodes_free %d%s" %
                  (total, nfree, lock_note(pool["lock"])))
            print("free list head: %s" % head_text)
            free_len = len(list_nodes(pool["free"], total + 1))
            if free_len != nfree:
                print("note: the free list holds %d nodes, nfree says %d" %
                      (free_len, nfree))
            owned = {}
            for _, p in live_procs():
                owner = "pid %d (%s)" % (int(p["pid"]), cstr(p["name"].address))
                for r in list_nodes(p["vm"]["regions"], total + 1):
                    owned[node_index(int(r.address))] = (owner, r)
            print("in use: %d" % len(owned))
            for i in sorted(owned):
                owner, r = owned[i]
                begin, npages = int(r["begin"]), int(r["npages"])
                print("  node %-4d %-20s [%s, %s) %d pages %s" % (
                    i, owner, hex_p(begin), hex_p(begin + npages * PGSIZE),
                    npages, prot_str(int(r["prot"]))))
            unowned = [i for i in range(total)
                       if int(pool["nodes"][i]["in_use"]) and i not in owned]
            if unowned:
                print("unowned but in use: %s" % " ".join(map(str, unowned)))


class Regions(gdb.Command):
    """A process's heap and mmap regions, as the kernel's uvm_print prints them.

Usage: regions PID      (PID: a number, any gdb expression, or a name)
Prints `heap [image_end, brk)`, `regions (N):` and one line per region
with its pool node, the first lines of what vmprint() prints."""

    def __init__(self):
        super().__init__("regions", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            print("\n".join(region_lines(find_proc(arg)["vm"])))


class Vmprint(gdb.Command):
    """A process's address space, exactly as the vmprint system call prints it.

Usage: vmprint PID      (PID: a number, any gdb expression, or a name)
The header, heap, regions, then the page table: one line per valid PTE,
one " .." per level, index, pte, physical address and r/w/x/u. Page-table
pages are read physically, so this works whichever hart is selected."""

    def __init__(self):
        super().__init__("vmprint", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            print("\n".join(vm_lines(find_proc(arg))))


class Uprog(gdb.Command):
    """Load a user program's symbols, to debug it at source level.

Usage: uprog NAME     load build/user/bin/NAME (replacing the last one)
       uprog          list the programs that can be loaded
Every program is linked at 0x1000 (user/user.ld), so the symbols apply to
whichever hart runs that program in user mode; load the one you debug.
Names the kernel shares (main, printf, memset) become ambiguous: say
`break gdbprobe.c:main` or `break 'gdbprobe.c'::main`."""

    loaded = None

    def __init__(self):
        super().__init__("uprog", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        bindir = os.path.join(repo_root(), "build", "user", "bin")
        name = arg.strip()
        if not name:
            progs = sorted(os.listdir(bindir)) if os.path.isdir(bindir) else []
            print("programs in %s: %s" %
                  (bindir, " ".join(progs) or "none (run make first)"))
            if Uprog.loaded:
                print("loaded: %s" % Uprog.loaded)
            return
        path = os.path.join(bindir, name)
        if not os.path.isfile(path):
            raise gdb.GdbError("no program %s in %s (uprog lists them)" % (name, bindir))
        if Uprog.loaded:
            gdb.execute("remove-symbol-file %s" % Uprog.loaded, to_string=True)
            Uprog.loaded = None
        # No address: gdb takes each section's own (linked) address.
        gdb.execute("add-symbol-file %s" % path, to_string=True)
        Uprog.loaded = path
        print("loaded %s's symbols (text at 0x1000)" % name)


def repo_root():
    """The folder holding build/: above the kernel ELF, else the cwd."""
    prog = gdb.current_progspace().filename
    d = os.path.dirname(os.path.abspath(prog)) if prog else os.getcwd()
    while d != os.path.dirname(d):
        if all(os.path.isdir(os.path.join(d, sub)) for sub in ("build", "user")):
            return d
        d = os.path.dirname(d)
    return os.getcwd()


KernelHelp()
Harts()
Procs()
Pmem()
Mmpool()
Regions()
Vmprint()
Uprog()
