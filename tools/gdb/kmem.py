"""kmem.py: the kernel helpers on memory: pmem, mmpool, regions, vmprint,
and uprog, which loads a user program's symbols (kernel.py registers
them)."""

import os

import gdb

from kread import *  # noqa: F401,F403 (the shared readers and constants)


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
