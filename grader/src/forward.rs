//! Reaching a server that runs in a network namespace of its own (the
//! sandbox's, with only loopback): the grader listens on a port of the
//! machine's loopback and carries each connection to the server's port
//! inside, so that its HTTP client and the browser use a plain URL.
//!
//! A socket belongs to the network namespace of the thread that creates it,
//! so one thread joins the server's namespace and opens every connection
//! there; the connections are then used from anywhere. Joining needs
//! `CAP_SYS_ADMIN` (root); without it the sandboxed server shares the
//! machine's network instead (see `sandbox`).

use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Whether this process may join another network namespace (Linux, as root).
pub fn can_enter_namespaces() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    cfg!(target_os = "linux") && unsafe { libc::geteuid() } == 0
}

/// The network namespace of `pid`, if it is not the grader's own.
pub fn namespace_of(pid: u32) -> Option<std::path::PathBuf> {
    let theirs = std::path::PathBuf::from(format!("/proc/{pid}/ns/net"));
    let differs = std::fs::read_link(&theirs).ok()? != std::fs::read_link("/proc/self/ns/net").ok()?;
    differs.then_some(theirs)
}

type Dial = (SocketAddr, oneshot::Sender<std::io::Result<StdTcpStream>>);

/// A port on the machine's loopback that leads to `inner` in another namespace.
pub struct Forwarder {
    /// `http://127.0.0.1:PORT`, the outer end.
    pub base_url: String,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// Starts forwarding from a free port of the machine's loopback to port
    /// `inner` of the namespace at `namespace` (`/proc/PID/ns/net`).
    pub async fn start(namespace: &std::path::Path, inner: u16) -> std::io::Result<Forwarder> {
        let dialer = dialer(namespace)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let target = SocketAddr::from(([127, 0, 0, 1], inner));
        let task = tokio::spawn(async move {
            while let Ok((outer, _)) = listener.accept().await {
                let dialer = dialer.clone();
                tokio::spawn(async move {
                    let (reply, answer) = oneshot::channel();
                    if dialer.send((target, reply)).is_err() {
                        return;
                    }
                    let Ok(Ok(inner)) = answer.await else { return }; // refused: the client sees the close
                    if inner.set_nonblocking(true).is_err() {
                        return;
                    }
                    let (Ok(mut inner), mut outer) = (TcpStream::from_std(inner), outer) else { return };
                    let _ = tokio::io::copy_bidirectional(&mut outer, &mut inner).await;
                });
            }
        });
        Ok(Forwarder { base_url, task })
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A thread in the namespace at `path` that opens connections there; it ends
/// when the last sender is dropped.
fn dialer(path: &std::path::Path) -> std::io::Result<std_mpsc::Sender<Dial>> {
    let namespace = std::fs::File::open(path)?;
    let (requests, incoming) = std_mpsc::channel::<Dial>();
    let (joined_tx, joined) = std_mpsc::channel();
    std::thread::Builder::new().name("grader-dialer".into()).spawn(move || {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: setns(2) on an open namespace file, for this thread only.
            let entered = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) } == 0;
            let _ = joined_tx.send(entered.then_some(()).ok_or_else(std::io::Error::last_os_error));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = joined_tx.send(Err(std::io::Error::other("namespaces are Linux's")));
        drop(namespace);
        for (address, reply) in incoming {
            let _ = reply.send(StdTcpStream::connect_timeout(&address, Duration::from_secs(5)));
        }
    })?;
    joined.recv().map_err(|_| std::io::Error::other("the dialer thread ended"))??;
    Ok(requests)
}
