"""kernel.py: gdb commands that read this kernel's data structures.

Loaded by .gdbinit (tools/gdbinit.in). The command `kernel` lists them:

  harts          every hart: mode, interrupts, pc, its process and address
                 space, locks held
  procs          the process table: leaders and threads, and their spaces
  uvm            the address spaces in use: references, harts, threads
  pmem [shared|user]  physical pages, total, free, per kind and shared
                 (memstat's words); with an argument, the user pages, their
                 reference counts and the tables that map them
  mmpool         the mmap_region_node pool: free list and the nodes in use
  regions PID    a process's space, heap and regions } in the format of
  vmprint PID    ... and its page table              } the kernel's uvm_print
  uprog NAME     load user program NAME's symbols (linked at 0x1000)

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
"""

import os
import struct

import gdb

PGSIZE = 4096
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U = 0x1, 0x2, 0x4, 0x8, 0x10
PTE_COW = 1 << 8                    # arch/riscv.h: RSW bit, copy-on-write
PTE_LEAF_MASK = PTE_R | PTE_W | PTE_X
PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
SSTATUS_SIE = 1 << 1
TRAMPOLINE = (1 << 38) - PGSIZE     # uapi/layout.h: VA_MAX - PGSIZE
TRAPFRAME = TRAMPOLINE - PGSIZE     # uapi/layout.h; user pages lie below
# uapi/memstat.h PMEM_KIND_NAMES; used only if audit.c's copy is missing.
KIND_NAMES = ["free", "pgtbl", "user", "kstack", "trapframe", "pipe", "other"]
PRIV_NAMES = {0: "U", 1: "S", 3: "M"}
SUMMARY = """\
  harts          every hart: mode, interrupts, pc, its process and address
                 space, locks held
  procs          the process table: leaders and threads, and their spaces
  uvm            the address spaces in use: references, harts, threads
  pmem [shared|user]  physical pages, total, free, per kind and shared
                 (memstat's words); with an argument, the user pages, their
                 reference counts and the tables that map them
  mmpool         the mmap_region_node pool: free list and the nodes in use
  regions PID    a process's space, heap and regions } in the format of
  vmprint PID    ... and its page table              } the kernel's uvm_print
  uprog NAME     load user program NAME's symbols (linked at 0x1000)"""


# ---- reading the kernel ------------------------------------------------

KMAP_BASE = 0xffffffd000000000   # arch/memlayout.h: the linear map
KROOT_FIRST = 320                # root entries from here on are the kernel's


def kernel_offset():
    """KMAP_BASE if the kernel runs in the upper half (its _entry is linked
    there), else 0: a kernel that maps RAM one-to-one."""
    try:
        entry = int(gdb.parse_and_eval("(unsigned long)&_entry"))
    except gdb.error:
        return KMAP_BASE
    return KMAP_BASE if entry >= KMAP_BASE else 0


class KernelMemory:
    """`with KernelMemory():` makes kernel memory readable for its body.

    With the kernel in the upper half of every table there is nothing to
    do. For a one-to-one kernel, reads are made physical, since a hart in a
    user table would not see kernel data; without QEMU's physical mode
    (another stub) they go through the selected hart's MMU as usual.
    """

    def __enter__(self):
        self.physical = kernel_offset() == 0 and self._mode(1)
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


def uvm_pool():
    """mm's pool of address spaces: uvm.c's file-static `pool` (mmap.c has
    a namesake, the region nodes)."""
    return static_var("mm/uvm.c", "pool")


def live_spaces():
    """(slot, struct uvm value) for every slot of the pool in use, by id."""
    pool = uvm_pool()
    out = [(i, pool[i]) for i in range(array_len(pool)) if int(pool[i]["in_use"])]
    return sorted(out, key=lambda e: int(e[1]["id"]))


def proc_vm(p):
    """p's struct uvm pointer, or None: vm is NULL before init's first exec
    and from exit on."""
    vm = p["vm"]
    return vm if int(vm) != 0 else None


def space_text(vm):
    """An address space's id, "-" for none (vm None or NULL)."""
    if vm is None or int(vm) == 0:
        return "-"
    return str(int(vm["id"]))


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
    """The struct proc for a process name (the first leader in the table
    with it, else the first thread: clones share their leader's name), or a
    pid: a number or any gdb expression (a thread's id is a pid too)."""
    arg = arg.strip()
    if not arg:
        raise gdb.GdbError("which process? give a pid or a program name")
    procs = [p for _, p in live_procs()]
    named = [p for p in procs if cstr(p["name"].address) == arg]
    named.sort(key=lambda p: int(p["is_thread"]) != 0)   # stable: slot order
    if named:
        return named[0]
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
    """print_visit's r/w/x/u, then " cow" for a copy-on-write PTE."""
    return ((pte & PTE_R and "r" or "-") + (pte & PTE_W and "w" or "-") +
            (pte & PTE_X and "x" or "-") + (pte & PTE_U and "u" or "-") +
            (pte & PTE_COW and " cow" or ""))


def read_table(pa):
    """The 512 PTEs of the page-table page at physical address pa (read
    through the linear map)."""
    mem = gdb.selected_inferior().read_memory(pa + kernel_offset(), PGSIZE)
    return struct.unpack("<512Q", bytes(mem))


def page_records(pmem):
    """pmem's page records (struct page_info, kernel/mm/pmem.c), read in
    one go: a list of dicts with the fields the record has (kind, owner,
    refs, audited, next), by page index. refs is missing from a kernel
    older than copy-on-write fork."""
    info = pmem["info"]
    n = int(pmem["npages"])
    rtype = info.type.target().strip_typedefs()
    size = rtype.sizeof
    fields = []
    for f in rtype.fields():
        ft = f.type.strip_typedefs()
        code = {1: "b", 2: "h", 4: "i", 8: "q"}.get(ft.sizeof)
        if code is None or f.bitpos % 8:
            continue
        if ft.code != gdb.TYPE_CODE_INT or not ft.is_signed:
            code = code.upper()
        fields.append((f.name, f.bitpos // 8, "<" + code))
    inferior = gdb.selected_inferior()
    raw = bytearray()
    chunk = max(size, (1 << 16) // size * size)
    addr, end = int(info), int(info) + n * size
    while addr < end:
        want = min(chunk, end - addr)
        raw += bytes(inferior.read_memory(addr, want))
        addr += want
    records = []
    for i in range(n):
        base = i * size
        records.append({name: struct.unpack_from(fmt, raw, base + off)[0]
                        for name, off, fmt in fields})
    return records


def page_refs(pmem, pa):
    """The refs of the page at physical address pa, from its pmem record
    (pmem_refs), or None: not a page pmem manages, or a kernel without
    reference counts."""
    base, n = int(pmem["base"]) - kernel_offset(), int(pmem["npages"])
    if pa < base or pa >= base + n * PGSIZE or pa % PGSIZE:
        return None
    try:
        return int(pmem["info"][(pa - base) // PGSIZE]["refs"])
    except (gdb.error, KeyError):
        return None


def struct_field(value, name):
    """The field `name` of a struct value as an int, or None if the struct
    has no such field (an older kernel)."""
    if name not in [f.name for f in value.type.strip_typedefs().fields()]:
        return None
    return int(value[name])


def user_leaves(pt):
    """(va, pte, table) of every valid user leaf below TRAPFRAME in the page
    table rooted at pt: every leaf the space sees, table being the physical
    address of the page-table page holding the PTE (a level-0 table, which
    since a copy-on-write fork may be shared by several spaces: each space
    walking to it lists its leaves). The audit (uvm.c, audit_visit) reaches
    the same leaves, but a shared table's only through the first space."""
    out = []

    def walk(table, level, va_base):
        try:
            ptes = read_table(table)
        except gdb.MemoryError:
            return
        for i, pte in enumerate(ptes):
            if not pte & PTE_V:
                continue
            va = va_base | (i << (12 + 9 * level))
            if va >= TRAPFRAME:
                break
            pa = (pte >> 10) << 12
            if pte & PTE_LEAF_MASK:
                out.append((va, pte, table))
            elif level > 0:
                walk(pa, level - 1, va)
    walk(pt, 2, 0)
    return out


# ---- the address-space printers (kernel/mm/uvm.c, uvm_print) ------------

def region_lines(vm):
    """uvm_print's lines before the page table, for a struct uvm pointer:
    the space's id and references, its heap and its regions."""
    nodes = list_nodes(vm["regions"], n_mmap() + 1)
    lines = ["space %d, %d references" % (int(vm["id"]), int(vm["refs"])),
             "heap [%s, %s)" % (hex_p(int(vm["image_end"])), hex_p(int(vm["brk"]))),
             "regions (%d):" % len(nodes)]
    for r in nodes:
        begin, npages = int(r["begin"]), int(r["npages"])
        lines.append("  [%s, %s) %d pages %s  node %d" % (
            hex_p(begin), hex_p(begin + npages * PGSIZE), npages,
            prot_str(int(r["prot"])), node_index(int(r.address))))
    return lines


def table_lines(pt, level, out, refs_of=None):
    """print_visit: one line per valid PTE, depth first, as uvm.c does. An
    entry of a level-1 table whose page (a level-0 table) has refs > 1,
    shared by that many spaces since a fork, ends in " shared by N";
    refs_of(pa) gives a page's refs (None: unknown, nothing added)."""
    indent = {2: " ..", 1: " .. ..", 0: " .. .. .."}[level]
    try:
        ptes = read_table(pt)
    except gdb.MemoryError:
        out.append("%s(page table page %s unreadable)" % (indent, hex_p(pt)))
        return
    for i, pte in enumerate(ptes):
        if level == 2 and i >= KROOT_FIRST and kernel_offset():
            break                    # the kernel's entries, in every table
        if not pte & PTE_V:
            continue
        pa = (pte >> 10) << 12
        line = "%s%d: pte %s pa %s %s" % (indent, i, hex_p(pte), hex_p(pa),
                                          pte_str(pte))
        refs = refs_of(pa) if level == 1 and refs_of is not None else None
        if refs is not None and refs > 1:
            line += " shared by %d" % refs
        out.append(line)
        if not pte & PTE_LEAF_MASK and level > 0:
            table_lines(pa, level - 1, out, refs_of)


def vm_of(p):
    """p's address space, or a gdb error saying why it has none."""
    vm = proc_vm(p)
    if vm is None:
        raise gdb.GdbError("pid %d (%s) has no address space (vm is NULL: it "
                           "exited, or init has not run its first exec)" %
                           (int(p["pid"]), cstr(p["name"].address)))
    return vm


def vm_lines(p):
    """sys_vmprint's whole output for struct proc p."""
    vm = vm_of(p)
    pt = int(vm["pt"])
    lines = ["pid %d (%s) address space:" % (int(p["pid"]), cstr(p["name"].address))]
    lines += region_lines(vm)
    lines.append("page table %s" % hex_p(pt))
    if pt != 0:
        pmem = static_var("mm/pmem.c", "pmem")
        table_lines(pt - kernel_offset(), 2, lines, lambda pa: page_refs(pmem, pa))
    return lines


def lock_label(lk):
    """A held lock's name, told apart from its namesakes: the pid for a
    process's own lock (proc), the space's id for an address space's (uvm:
    threads share it, so no pid names it), the address for one outside the
    kernel image (a pipe's), nothing more for a kernel variable."""
    name = cstr(lk["name"])
    addr = int(lk)
    for array, field, word in ((global_var("proc_table"), "pid", "pid"),
                               (uvm_pool(), "id", "space")):
        start = int(array.address)
        slot = (addr - start) // array[0].type.sizeof
        if start <= addr and slot < array_len(array):
            return "%s[%s %d]" % (name, word, int(array[slot][field]))
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

harts, procs, uvm, pmem [shared|user], mmpool, regions PID, vmprint PID,
uprog NAME;
`help NAME` describes one. Each works wherever the harts are stopped, also
in user mode: kernel memory is read physically (QEMU's Qqemu.PhyMemMode)."""

    def __init__(self):
        super().__init__("kernel", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print(SUMMARY)


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


class Pmem(gdb.Command):
    """Physical pages: total, free, how many of each kind, and shared pages.

Usage: pmem             the counts
       pmem shared      ... and every shared user page (see below)
       pmem user        ... and every user page
Reads pmem (kernel/mm/pmem.c) without taking its locks; the counts are
the shared ones plus each hart's page cache's (pcache: a cached page is
free). The words are
memstat's: pages_total, pages_free, then one line per kind of page named
as in PMEM_KIND_NAMES (uapi/memstat.h), then pages_shared, the same
numbers memstat returns. pages_shared is pmem.shared + pmem.shared_in_tables
(pmem.shared alone on a kernel without that field): the user pages with
refs > 1, plus the leaves (valid entries) of the level-0 tables with refs
> 1. Copy-on-write fork shares whole level-0 tables (2 MiB each) with the
child: such a table has refs N, the spaces pointing to it, and a page that
only it maps has refs 1 though N spaces see it. A page in both sets (refs
> 1 and in a shared table) counts twice.

Then the same counted from the page records themselves (struct page_info),
a shared table's leaves read from its page:
  user pages by refs: 1:120 2:25; refs > 1: 25
  page tables by refs: 1:90 2:3; refs > 1: 3, holding 40 leaves
  pages_shared from the records: 65 (25 user pages with refs > 1, 40 leaves of shared tables)

With `shared` or `user`, one line per shared (or every) user page. A user
page is shared if its refs > 1 or a level-0 table with refs > 1 maps it.
Each line: its physical address, refs, the owner pmem records (the space
that faulted it in, which a shared page keeps), then where it is mapped,
as `VA: SPACE SPACE ...`: the ids of every space that maps it at that user
address (`uvm` and `procs` name them), those reaching it through one
shared level-0 table joined by "+" (`0x1000: 3+4 5`: spaces 3 and 4 share
the table that maps it, space 5 maps it in a table of its own). They are
found by walking the page table of every space in use below TRAPFRAME, as
the kernel's audit does. A user page's refs counts the level-0 tables that
map it, not the spaces: a page whose refs differs from the number of
distinct tables mapping it is marked `<-- refs N, M tables` (mid-way
through a fork, a fault or an exit, or a bug).

Notes follow if the kinds do not add up to pages_total, if a count from
the records differs from its counter (the user pages with refs > 1 from
pmem.shared, the leaves of shared tables from pmem.shared_in_tables), or
if a record's refs breaks pmem's rule (0 when free, at least 1 for a user
page or a page-table page, 1 for any other); caught mid-way through
pmem_alloc/pmem_free, a fork or a fault, or a bug."""

    def __init__(self):
        super().__init__("pmem", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        which = arg.strip()
        if which not in ("", "shared", "user"):
            raise gdb.GdbError("usage: pmem [shared|user]")
        with KernelMemory():
            pmem = static_var("mm/pmem.c", "pmem")
            counts = self.kind_counts(pmem)
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
            notes = []
            if sum(counts) != total:
                notes.append("the kinds add up to %d, not %d" % (sum(counts), total))
            records = page_records(pmem)
            if records and "refs" not in records[0]:
                print("(no reference counts: a kernel without copy-on-write fork)")
                self.print_notes(notes)
                return
            # memstat's pages_shared (pmem.c, pmem_stat).
            shared_counter = int(pmem["shared"])
            tables_counter = struct_field(pmem, "shared_in_tables")
            print("  %-10s %d" % ("pages_shared",
                                  shared_counter + (tables_counter or 0)))
            user_kind = names.index("user") if "user" in names else 2
            pgtbl_kind = names.index("pgtbl") if "pgtbl" in names else 1
            by_refs, table_by_refs = {}, {}
            odd = []
            for i, r in enumerate(records):
                if r["kind"] in (user_kind, pgtbl_kind):
                    tally = by_refs if r["kind"] == user_kind else table_by_refs
                    tally[r["refs"]] = tally.get(r["refs"], 0) + 1
                    if r["refs"] < 1:
                        odd.append(i)
                elif r["refs"] != (0 if r["kind"] == 0 else 1):
                    odd.append(i)
            base = int(pmem["base"]) - kernel_offset()   # physical
            shared = sum(n for refs, n in by_refs.items() if refs > 1)
            shared_tables = [i for i, r in enumerate(records)
                             if r["kind"] == pgtbl_kind and r["refs"] > 1]
            leaves = 0
            for i in shared_tables:
                try:
                    leaves += sum(1 for pte in read_table(base + i * PGSIZE)
                                  if pte & PTE_V)
                except gdb.MemoryError:
                    notes.append("shared table %s unreadable: its leaves are not "
                                 "counted" % hex_p(base + i * PGSIZE))
            print("user pages by refs: %s; refs > 1: %d" % (
                self.tally_text(by_refs), shared))
            print("page tables by refs: %s; refs > 1: %d, holding %d leaves" % (
                self.tally_text(table_by_refs), len(shared_tables), leaves))
            print("pages_shared from the records: %d (%d user pages with refs > 1, "
                  "%d leaves of shared tables)" % (shared + leaves, shared, leaves))
            if tables_counter is None:
                if shared + leaves != shared_counter:
                    notes.append("the records count %d shared pages, pmem.shared "
                                 "says %d" % (shared + leaves, shared_counter))
            else:
                if shared != shared_counter:
                    notes.append("%d user pages have refs > 1, pmem.shared says %d"
                                 % (shared, shared_counter))
                if leaves != tables_counter:
                    notes.append("the tables with refs > 1 hold %d leaves, "
                                 "pmem.shared_in_tables says %d"
                                 % (leaves, tables_counter))
            for i in odd[:8]:
                r = records[i]
                kname = names[r["kind"]] if r["kind"] < len(names) else "?"
                notes.append("page %s (%s, owner %d) has refs %d" % (
                    hex_p(base + i * PGSIZE), kname, r["owner"], r["refs"]))
            if len(odd) > 8:
                notes.append("... and %d more pages with refs out of rule" %
                             (len(odd) - 8))
            if which:
                self.list_pages(records, base, user_kind, which == "shared")
            self.print_notes(notes)

    @staticmethod
    def kind_counts(pmem):
        """Pages of each kind, as pmem_stat adds them up: the changes made
        through each hart's cache (pcache), plus the shared free list's
        length (nlisted) for the free ones. A kernel without the caches
        keeps one count per kind in pmem.by_kind."""
        if struct_field(pmem, "nlisted") is None:
            by_kind = pmem["by_kind"]
            return [int(by_kind[k]) for k in range(array_len(by_kind))]
        caches = static_var("mm/pmem.c", "pcache")
        counts = [0] * array_len(caches[0]["by_kind"])
        for h in range(array_len(caches)):
            for k in range(len(counts)):
                counts[k] += int(caches[h]["by_kind"][k])
        counts[0] += int(pmem["nlisted"])
        return counts

    @staticmethod
    def tally_text(by_refs):
        """`1:120 2:25`: how many pages have each reference count."""
        return " ".join("%d:%d" % (refs, by_refs[refs])
                        for refs in sorted(by_refs)) or "none"

    @staticmethod
    def print_notes(notes):
        for n in notes:
            print("note: " + n)

    @staticmethod
    def list_pages(records, base, user_kind, shared_only):
        """One line per user page (if shared_only, only the shared ones:
        refs > 1, or mapped by a level-0 table with refs > 1), with where it
        is mapped: for each va, the ids of every space that maps it there,
        the spaces reaching it through one shared table joined by "+". The
        mark compares refs with the distinct tables mapping the page."""
        def refs_of(pa):
            i = (pa - base) // PGSIZE
            return records[i]["refs"] if 0 <= i < len(records) else None

        # page -> {va: {table holding the PTE: [space ids]}}
        maps = {}
        for _, vm in live_spaces():
            if int(vm["pt"]) == 0:
                continue
            sid = int(vm["id"])
            for va, pte, table in user_leaves(int(vm["pt"]) - kernel_offset()):
                maps.setdefault((pte >> 10) << 12, {}).setdefault(
                    va, {}).setdefault(table, []).append(sid)

        def shared_table_maps(pa):
            return any((refs_of(t) or 0) > 1
                       for at in maps.get(pa, {}).values() for t in at)

        pages = [(i, r) for i, r in enumerate(records) if r["kind"] == user_kind and
                 (not shared_only or r["refs"] > 1 or
                  shared_table_maps(base + i * PGSIZE))]
        print("%s user pages%s: %d" % (
            "shared" if shared_only else "all",
            " (refs > 1 or in a shared table)" if shared_only else "", len(pages)))
        print("  %-12s %-4s %-6s %s" % ("pa", "refs", "owner",
                                        "mapped at va: by spaces"))
        for i, r in pages:
            pa = base + i * PGSIZE
            at = maps.get(pa, {})
            tables = set(t for by in at.values() for t in by)
            where = "; ".join(
                "%s: %s" % (hex_p(va), " ".join(
                    "+".join(map(str, sorted(sids)))
                    for sids in sorted(at[va].values(), key=min)))
                for va in sorted(at))
            mark = "" if len(tables) == r["refs"] else "  <-- refs %d, %d tables" % (
                r["refs"], len(tables))
            print("  %-12s %-4d %-6d %s%s" % (hex_p(pa), r["refs"], r["owner"],
                                            where or "-", mark))


class Mmpool(gdb.Command):
    """The mmap_region_node pool: free nodes, free-list head, nodes in use.

Usage: mmpool
First nodes_total and nodes_free (pool.nfree; memstat's words), then the
node at the head of the free list (the next mmap_region_alloc returns it).
Then every node in use, found by walking the region list of each address
space in use: node index, owner (the space's id and the name of a process
running it), range, pages and prot. Nodes marked in use that no space holds
are listed as unowned (a leak, or an edit caught half-way); a free list
whose length differs from nfree is reported too."""

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
            # A space is named after its leader's program, else after the
            # first entry pointing at it (a leader that exited has no vm).
            names = {}
            for _, p in live_procs():
                vm = proc_vm(p)
                if vm is not None and (int(vm) not in names or not int(p["is_thread"])):
                    names[int(vm)] = cstr(p["name"].address)
            owned = {}
            for _, vm in live_spaces():
                owner = "space %d" % int(vm["id"])
                if int(vm.address) in names:
                    owner += " (%s)" % names[int(vm.address)]
                for r in list_nodes(vm["regions"], total + 1):
                    owned[node_index(int(r.address))] = (owner, r)
            print("in use: %d" % len(owned))
            for i in sorted(owned):
                owner, r = owned[i]
                begin, npages = int(r["begin"]), int(r["npages"])
                print("  node %-4d %-24s [%s, %s) %d pages %s" % (
                    i, owner, hex_p(begin), hex_p(begin + npages * PGSIZE),
                    npages, prot_str(int(r["prot"]))))
            unowned = [i for i in range(total)
                       if int(pool["nodes"][i]["in_use"]) and i not in owned]
            if unowned:
                print("unowned but in use: %s" % " ".join(map(str, unowned)))


class Regions(gdb.Command):
    """A process's space, heap and regions, as the kernel's uvm_print prints them.

Usage: regions PID      (PID: a number, any gdb expression, or a name)
Prints `space ID, N references`, `heap [image_end, brk)`, `regions (N):`
and one line per region with its pool node: what vmprint() prints before
the page table. Every thread of a process shows the same space."""

    def __init__(self):
        super().__init__("regions", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        with KernelMemory():
            print("\n".join(region_lines(vm_of(find_proc(arg)))))


class Vmprint(gdb.Command):
    """A process's address space, exactly as the vmprint system call prints it.

Usage: vmprint PID      (PID: a number, any gdb expression, or a name)
The header, the space's id and references, heap, regions, then the page
table: one line per valid PTE, one " .." per level, index, pte, physical
address and r/w/x/u, and " cow" for a copy-on-write PTE (PTE_COW, bit 8:
a page shared by fork, read-only until a write copies it or takes it
back; `pmem shared` shows who else maps it). A level-1 line (" .. ..")
whose level-0 table has refs > 1 in its pmem record ends in " shared by
N": fork gave N spaces that very table (2 MiB of address space), and none
writes it; a space that must change one of its entries first makes its
own copy. The threads' trapframes show up kernel-only, at TRAPFRAME and
in the upper half. Page-table pages are read physically, so this works
whichever hart is selected."""

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
Uvm()
Pmem()
Mmpool()
Regions()
Vmprint()
Uprog()
