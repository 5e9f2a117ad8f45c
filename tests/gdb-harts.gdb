# gdb-harts.gdb: the commands tests/gdb-harts.sh runs after .gdbinit attached.
info threads
break pmem_alloc
continue
bt
thread apply all bt 1
