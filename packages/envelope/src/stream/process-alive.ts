/**
 * True while process `pid` runs on this host (a process we may not signal counts as running):
 * how a cleanup tells a crashed writer's leftovers from a live writer's work in progress.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
