"""kread.py: what the kernel helpers share (kernel.py loads them): the
kernel's constants, reading kernel memory at its upper-half addresses, the
pools, the process table and the address spaces, page-table pages, and the
text of the address-space printers in the format of the kernel's
uvm_print."""

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
