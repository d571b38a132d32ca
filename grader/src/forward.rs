//! Reaching a server that runs in a network namespace of its own (the
//! sandbox's, with only loopback): the grader listens on a port of the
//! machine's loopback and carries each connection to the server's port
//! inside, so that its HTTP client and the browser use a plain URL.
//!
//! A socket belongs to the network namespace of the thread that creates it,
//! so one thread joins the server's namespace and opens every connection
//! there; the connections are then used from anywhere. A thread may join a
//! network namespace as root (`CAP_SYS_ADMIN`). A grader that is not root
//! forks a small process of its own instead: bubblewrap made the server's
//! user namespace as the grader's user, so the fork may enter it, and then
//! its network; it hands each connection it opens back over a socket pair.
//! Either way the server never shares the machine's network.

use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Whether the grader can reach a server in a network namespace of its own:
/// on Linux, as root (a thread joins it) or not (a forked process does).
pub fn can_enter_namespaces() -> bool {
    cfg!(target_os = "linux")
}

/// The namespaces folder of `pid` (`/proc/PID/ns`), if its network is not the grader's own.
pub fn namespace_of(pid: u32) -> Option<std::path::PathBuf> {
    let theirs = std::path::PathBuf::from(format!("/proc/{pid}/ns"));
    let differs =
        std::fs::read_link(theirs.join("net")).ok()? != std::fs::read_link("/proc/self/ns/net").ok()?;
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
    /// `inner` of the namespaces at `namespace` (`/proc/PID/ns`).
    pub async fn start(namespace: &std::path::Path, inner: u16) -> std::io::Result<Forwarder> {
        let dialer = if crate::confine::running_as_root() {
            dialer(&namespace.join("net"))?
        } else {
            process_dialer(namespace)?
        };
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

/// A process forked to open connections in the namespaces at `dir`
/// (`/proc/PID/ns`), for a grader that is not root: it enters the server's
/// user namespace (which the grader's user owns, so the fork has every
/// capability there), then its network, and answers each port asked over a
/// socket pair with a connected socket (`SCM_RIGHTS`), or none. It ends when
/// the grader's end of the pair closes (the last sender dropped, or the grader gone).
#[cfg(target_os = "linux")]
fn process_dialer(dir: &std::path::Path) -> std::io::Result<std_mpsc::Sender<Dial>> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixStream;
    let net = std::fs::File::open(dir.join("net"))?;
    // The user namespace that owns the network (bubblewrap may nest another
    // inside it for the server): `NS_GET_USERNS`.
    const NS_GET_USERNS: libc::c_ulong = 0xb701;
    // SAFETY: ioctl(2) on an open namespace file; the result is a new descriptor or -1.
    let owner = unsafe { libc::ioctl(net.as_raw_fd(), NS_GET_USERNS as _) };
    if owner < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the descriptor was just made, and is this function's alone.
    let owner = unsafe { std::fs::File::from_raw_fd(owner) };
    // A process cannot join the user namespace it is in (bubblewrap run by root may make none).
    let ours = std::fs::metadata("/proc/self/ns/user")?;
    let theirs = owner.metadata()?;
    let user = ((theirs.dev(), theirs.ino()) != (ours.dev(), ours.ino())).then_some(owner);
    let (ours, theirs) = UnixStream::pair()?;
    let keep = [theirs.as_raw_fd(), user.as_ref().map_or(-1, |u| u.as_raw_fd()), net.as_raw_fd()];
    // SAFETY: the child runs only `dial_forever`, which makes system calls and
    // touches no lock, allocator or other state another thread may hold.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: in the forked child, with the descriptors opened above.
        unsafe { dial_forever(keep) }
    }
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    drop((theirs, user, net));
    // Reaped when it ends: the grader may be no one's subreaper.
    std::thread::Builder::new().name("grader-dialer-reaper".into()).spawn(move || {
        // SAFETY: waits for the child forked above.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    })?;
    let mut entered = [1u8, 0];
    (&ours).read_exact(&mut entered)?;
    if entered[0] != 0 {
        let namespace = if entered[0] == 1 { "user" } else { "network" };
        let why = std::io::Error::from_raw_os_error(entered[1].into());
        return Err(std::io::Error::other(format!(
            "the dialer could not enter the server's {namespace} namespace: {why}"
        )));
    }
    let (requests, incoming) = std_mpsc::channel::<Dial>();
    std::thread::Builder::new().name("grader-dialer".into()).spawn(move || {
        for (address, reply) in incoming {
            let _ = reply.send(ask_for(&ours, address.port()));
        }
    })?;
    Ok(requests)
}

#[cfg(not(target_os = "linux"))]
fn process_dialer(_: &std::path::Path) -> std::io::Result<std_mpsc::Sender<Dial>> {
    Err(std::io::Error::other("namespaces are Linux's"))
}

/// Asks the dialer for a connection to `port` and receives it.
#[cfg(target_os = "linux")]
fn ask_for(dialer: &std::os::unix::net::UnixStream, port: u16) -> std::io::Result<StdTcpStream> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    (&*dialer).write_all(&port.to_be_bytes())?;
    let mut byte = [0u8; 1];
    let mut space = [0u64; 8]; // room for one descriptor's control message, aligned
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    // SAFETY: a zeroed msghdr is valid; its buffers outlive the call.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = space.as_mut_ptr().cast();
    message.msg_controllen = std::mem::size_of_val(&space) as _;
    // SAFETY: recvmsg(2) into the buffers above.
    let read = unsafe { libc::recvmsg(dialer.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC) };
    if read != 1 {
        return Err(std::io::Error::other("the dialer is gone"));
    }
    // SAFETY: the control buffer was filled by recvmsg(2).
    let header = unsafe { libc::CMSG_FIRSTHDR(&message) };
    if byte[0] != 0 || header.is_null() {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "nothing listens there"));
    }
    // SAFETY: a control message of type SCM_RIGHTS carries a descriptor.
    let fd = unsafe {
        if (*header).cmsg_level != libc::SOL_SOCKET || (*header).cmsg_type != libc::SCM_RIGHTS {
            return Err(std::io::Error::other("the dialer sent no socket"));
        }
        std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<libc::c_int>())
    };
    // SAFETY: the descriptor was just received, and is this process's alone.
    Ok(unsafe { StdTcpStream::from_raw_fd(fd) })
}

/// The forked dialer: enters the namespaces (the user namespace `-1` when it
/// is the grader's own), says whether it did (two bytes: the step that failed, its errno),
/// then for each port read (two bytes, big-endian) connects to it on the
/// namespace's loopback and sends the socket back. System calls only: this
/// runs in a fork of a process with other threads.
#[cfg(target_os = "linux")]
unsafe fn dial_forever([pair, user, net]: [libc::c_int; 3]) -> ! {
    // A process group of its own: never counted among the grader's own processes.
    libc::setpgid(0, 0);
    // Every other descriptor closed: the fork must hold no one else's socket or pipe open.
    let mut from = 0;
    let mut keep = [pair, user, net];
    keep.sort_unstable();
    for fd in keep.into_iter().filter(|fd| *fd >= 0) {
        if fd > from {
            libc::syscall(libc::SYS_close_range, from as libc::c_uint, (fd - 1) as libc::c_uint, 0);
        }
        from = fd + 1;
    }
    libc::syscall(libc::SYS_close_range, from as libc::c_uint, libc::c_uint::MAX, 0);
    // One byte: 0 entered, else which step failed (1 the user namespace, 2 the network) and its errno.
    let step = if user >= 0 && libc::setns(user, libc::CLONE_NEWUSER) != 0 {
        1
    } else if libc::setns(net, libc::CLONE_NEWNET) != 0 {
        2
    } else {
        0
    };
    let said = [step, if step == 0 { 0 } else { *libc::__errno_location() as u8 }];
    if user >= 0 {
        libc::close(user);
    }
    libc::close(net);
    libc::write(pair, said.as_ptr().cast(), 2);
    if step != 0 {
        libc::_exit(1);
    }
    loop {
        let mut port = [0u8; 2];
        if libc::recv(pair, port.as_mut_ptr().cast(), 2, libc::MSG_WAITALL) != 2 {
            libc::_exit(0);
        }
        let socket = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        let address = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: u16::from_be_bytes(port).to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
            sin_zero: [0; 8],
        };
        let connected = socket >= 0
            && libc::connect(
                socket,
                (&address as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ) == 0;
        let mut byte = [u8::from(!connected)];
        let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
        let mut space = [0u64; 8];
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        if connected {
            message.msg_control = space.as_mut_ptr().cast();
            message.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as _;
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<libc::c_int>(), socket);
        }
        libc::sendmsg(pair, &message, libc::MSG_NOSIGNAL);
        if socket >= 0 {
            libc::close(socket);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-answer TCP server in a network namespace of its own (bubblewrap,
    /// as `nobody` where the test is root, as a grader that is not root runs
    /// it), reached through the forked dialer; the machine's loopback does not
    /// reach it.
    #[test]
    fn a_forked_dialer_reaches_a_server_in_a_network_of_its_own() {
        // Run as root, the test runs again as `nobody`: the path of a grader that is not root.
        crate::confine::tests::run_again_as_nobody(
            "forward::tests::a_forked_dialer_reaches_a_server_in_a_network_of_its_own",
        );
        let Some(bwrap) =
            ["/usr/bin/bwrap", "/bin/bwrap"].into_iter().find(|p| std::path::Path::new(p).exists())
        else {
            return eprintln!("no bubblewrap: not tested here");
        };
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .expect("python3");
        let serve = "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n\
                     print(s.getsockname()[1], flush=True)\nc, _ = s.accept()\nc.sendall(b'inside')\nc.close()";
        let mut command = std::process::Command::new(bwrap);
        if crate::confine::running_as_root() {
            command.args(["--uid", "65534", "--gid", "65534"]);
        }
        let mut server = command
            .args([
                "--die-with-parent",
                "--unshare-all",
                "--ro-bind",
                "/",
                "/",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
            ])
            .args([python.as_str(), "-c", serve])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        let mut stdout = server.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            port.push(byte[0] as char);
        }
        let port: u16 = port.trim().parse().unwrap();
        // bubblewrap's child (the python) is the one in the namespaces.
        let inside = (0..50)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(20));
                let children =
                    std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", server.id())).ok()?;
                children.split_whitespace().filter_map(|p| p.parse().ok()).find_map(namespace_of)
            })
            .expect("the server's namespaces");
        assert!(
            StdTcpStream::connect(("127.0.0.1", port)).map_or(true, |mut s| {
                let mut said = Vec::new();
                let _ = s.read_to_end(&mut said);
                said != b"inside"
            }),
            "the machine's loopback reached the server"
        );
        let dialer = process_dialer(&inside).unwrap();
        let (reply, answer) = oneshot::channel();
        dialer.send((SocketAddr::from(([127, 0, 0, 1], port)), reply)).unwrap();
        let mut stream = answer.blocking_recv().unwrap().unwrap();
        let mut said = Vec::new();
        stream.read_to_end(&mut said).unwrap();
        assert_eq!(said, b"inside");
        // A port nothing listens on is refused, and the dialer still answers.
        let (reply, answer) = oneshot::channel();
        dialer.send((SocketAddr::from(([127, 0, 0, 1], 1)), reply)).unwrap();
        assert!(answer.blocking_recv().unwrap().is_err());
        let _ = stream.write_all(b"");
        let _ = server.kill();
        let _ = server.wait();
    }
}
