# gdb-probe.gdb: the helpers' session in tests/gdb-harts.sh, after .gdbinit
# attached to a 4-hart kernel booted with "-- gdbprobe". gdbprobe prints its
# memstat, then calls vmprint(): stopped in sys_vmprint, the kernel's state
# is what it printed, and after `continue` the kernel prints its own vmprint
# output, which regions and vmprint must repeat line for line. The "===="
# lines mark each command's output for the script.
info threads
break sys_vmprint
continue
# In the kernel tp holds the hart id: the process that called vmprint.
set $pid = cpus[$tp].proc->pid
echo ==== bt\n
thread apply all bt
echo ==== harts\n
harts
echo ==== procs\n
procs
echo ==== pmem\n
pmem
echo ==== mmpool\n
mmpool
echo ==== regions\n
regions $pid
echo ==== vmprint\n
vmprint $pid
echo ==== end\n
delete
continue
