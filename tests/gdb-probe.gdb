# gdb-probe.gdb: the helpers' session in tests/gdb-harts.sh, after .gdbinit
# attached to a 4-hart kernel booted with "-- gdbprobe". gdbprobe clones two
# threads that block on a pipe, forks a child that blocks on another (their
# pages shared copy-on-write), prints its memstat, then calls vmprint():
# stopped in sys_vmprint, the kernel's state is what it printed, and after
# `continue` the kernel prints its own vmprint output, which regions and
# vmprint must repeat line for line. The "====" lines mark each command's
# output for the script.
info threads
break sys_vmprint
continue
# In the kernel tp holds the hart id: the process that called vmprint.
set $pid = cpus[$tp].proc->pid
# One of its threads (the last in the table), found by gdb itself: regions
# through the thread must show the space the process's leader shows.
set $tid = -1
set $i = 0
while $i < sizeof(proc_table) / sizeof(proc_table[0])
  if proc_table[$i].state != UNUSED && proc_table[$i].is_thread && proc_table[$i].group->pid == $pid
    set $tid = proc_table[$i].pid
  end
  set $i = $i + 1
end
# Its forked child: a leader whose parent it is.
set $cpid = -1
set $i = 0
while $i < sizeof(proc_table) / sizeof(proc_table[0])
  if proc_table[$i].state != UNUSED && !proc_table[$i].is_thread && proc_table[$i].parent != 0 && proc_table[$i].parent->pid == $pid
    set $cpid = proc_table[$i].pid
  end
  set $i = $i + 1
end
echo ==== bt\n
thread apply all bt
echo ==== harts\n
harts
echo ==== procs\n
procs
echo ==== uvm\n
uvm
echo ==== pmem\n
pmem
echo ==== pmem-shared\n
pmem shared
echo ==== mmpool\n
mmpool
echo ==== regions\n
regions $pid
echo ==== vmprint\n
vmprint $pid
echo ==== thread-regions\n
regions $tid
echo ==== child-vmprint\n
vmprint $cpid
echo ==== end\n
delete
continue
