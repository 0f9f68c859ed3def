//! Every process the harness, its tests and the bench start: [`ChildGuard`] owns a long-lived
//! child (Prometheus, VictoriaMetrics, a plugin, an exporter) and ends it with the test, and
//! [`output`] runs a command to completion (promtool, a vmalert replay) under the same rules.
//!
//! A child ends with its test in every way a test can end:
//! - returns or panics: dropping the guard kills the child's whole process group (each child is
//!   started in a group of its own, so a wrapper's own children go too) and reaps it;
//! - is killed (SIGKILL from a timeout, an impatient developer, the CI runner), or never drops the
//!   guard (a `static` holding a server for the whole file): the child was started with the
//!   parent-death signal set to SIGKILL (`prctl(PR_SET_PDEATHSIG)`), so the kernel kills it as
//!   soon as its parent is gone.
//!
//! The kernel counts as the parent the *thread* that forked the child, not the process: a child
//! spawned from a test's thread would be killed when that test ends, even if a `static` still
//! holds it for the next test. So every child is forked by one spawner thread that lives as long
//! as the process.

use std::io::{self, Read as _};
use std::ops::{Deref, DerefMut};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;

/// A running child process that is killed, with its whole process group, and reaped when the
/// guard is dropped, and killed by the kernel when the test process dies (see the module docs).
/// It dereferences to the [`Child`], for its id, pipes and status.
pub struct ChildGuard {
    child: Child,
}

/// A command for the spawner thread and where to send the child it started.
type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// The thread that forks every child: it lives as long as the process, so the parent-death signal
/// fires only when the process ends.
fn spawner() -> &'static mpsc::Sender<SpawnRequest> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("promql-tests-spawner".into())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("start the spawner thread");
        requests
    })
}

impl ChildGuard {
    /// Starts `command` in a process group of its own, with the parent-death signal set to
    /// SIGKILL. The command's arguments, environment and standard streams are used as given.
    pub fn spawn(mut command: Command) -> io::Result<ChildGuard> {
        let parent = std::process::id();
        command.process_group(0);
        // SAFETY: the closure runs in the forked child before `exec` and calls only
        // async-signal-safe functions (`prctl`, `getppid`); it allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died between `fork` and `prctl`: then no signal will come.
                if libc::getppid() as u32 != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
        let (reply, answer) = mpsc::channel();
        spawner()
            .send((command, reply))
            .expect("the spawner thread is running");
        let child = answer.recv().expect("the spawner thread answers")?;
        Ok(ChildGuard { child })
    }

    /// Kills the child's process group and reaps the child; does nothing once it is reaped.
    pub fn kill_group(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // The group may be signalled only while the child is unreaped (running, or a zombie that
        // `WNOWAIT` leaves in place): once reaped, its id may belong to another process.
        // SAFETY: `waitid` writes only into `info`; `kill` takes plain integers.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let unreaped = libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            ) == 0;
            if unreaped {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Deref for ChildGuard {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// Runs `command` to completion through a [`ChildGuard`], with no input, capturing both outputs
/// (as [`Command::output`] does).
pub fn output(mut command: Command) -> io::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = ChildGuard::spawn(command)?;
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_end(&mut bytes);
        }
        bytes
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout)?;
    }
    let status = child.wait()?;
    let stderr = errors.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Standard output and standard error of a finished command, as one text.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `program`, after checking that `program <version_flag>` runs; fails the calling test with
/// `install` (what to run to get it) when it does not. Tests never skip for a missing tool.
pub fn require_tool(program: impl Into<PathBuf>, version_flag: &str, install: &str) -> PathBuf {
    let program = program.into();
    let mut command = Command::new(&program);
    command.arg(version_flag);
    let found = output(command).is_ok_and(|o| o.status.success());
    assert!(found, "`{}` is not available; {install}", program.display());
    program
}

/// Whether process `pid` is running: it exists and is not a zombie (a zombie has ended; only its
/// exit status is waiting to be read).
pub fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) state ...`; `comm` may hold spaces and parentheses, so read after the last `)`.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}
