//! Where the load goes and where it comes from: the server's loopback address, the source
//! addresses sockets are spread over, and the open-file budget of this process.
//!
//! Only 127.0.0.0/8 is ever a target. One source address reaches ~28k ephemeral ports per
//! destination, so sockets are bound round-robin to 127.0.0.2…127.0.0.9 before connecting,
//! with `IP_BIND_ADDRESS_NO_PORT` so the port is picked at connect time per 4-tuple.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;

use anyhow::{Context, bail};
use tokio::net::{TcpSocket, TcpStream};

/// The server under test: `http://127.x.y.z:port`.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// `http://ip:port`, no trailing slash.
    pub base: String,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .context("the server URL must start with http://")?
            .trim_end_matches('/');
        let addr: SocketAddr = rest.parse().with_context(|| {
            format!("the server URL must be http://<loopback ip>:<port>, got {url}")
        })?;
        if !is_loopback_v4(addr.ip()) {
            bail!("refusing to load {addr}: only 127.0.0.0/8 is a target");
        }
        Ok(Target {
            addr,
            base: format!("http://{addr}"),
        })
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/socket.io/?EIO=4&transport=websocket", self.addr)
    }
}

fn is_loopback_v4(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == 127)
}

/// Parses `127.0.0.2-127.0.0.9`, `127.0.0.2,127.0.0.3`, or `none` (let the kernel choose).
pub fn parse_sources(spec: &str) -> anyhow::Result<Vec<Ipv4Addr>> {
    if spec == "none" || spec.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        if let Some((a, b)) = part.split_once('-') {
            let a: Ipv4Addr = a.trim().parse().context("bad source address")?;
            let b: Ipv4Addr = b.trim().parse().context("bad source address")?;
            let (a, b) = (u32::from(a), u32::from(b));
            if b < a || b - a > 255 {
                bail!("bad source range {part}");
            }
            out.extend((a..=b).map(Ipv4Addr::from));
        } else {
            out.push(part.trim().parse().context("bad source address")?);
        }
    }
    if let Some(ip) = out.iter().find(|ip| ip.octets()[0] != 127) {
        bail!("source address {ip} is not in 127.0.0.0/8");
    }
    Ok(out)
}

/// Opens a TCP connection to `server`, bound to `source` when given.
pub async fn connect(server: SocketAddr, source: Option<Ipv4Addr>) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        let one: libc::c_int = 1;
        // SAFETY: a plain setsockopt on a socket we own, with a pointer to a live c_int.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        socket.bind(SocketAddr::new(IpAddr::V4(ip), 0))?;
    }
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Raises this process's open-file limit to its hard limit and checks that `sockets`
/// connections (plus a reserve for HTTP and the runtime) fit in it.
pub fn ensure_open_files(sockets: usize) -> anyhow::Result<u64> {
    const RESERVE: u64 = 64;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a pointer to a live rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    let limit = lim.rlim_cur;
    if sockets as u64 + RESERVE > limit {
        bail!(
            "{sockets} sockets need {} open files but this process may hold {limit}; \
             run several loadgen processes instead",
            sockets as u64 + RESERVE
        );
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_a_target() {
        assert!(Target::parse("http://127.0.0.1:8000").is_ok());
        assert!(Target::parse("http://127.0.0.1:8000/").is_ok());
        assert!(Target::parse("http://10.0.0.1:8000").is_err());
        assert!(Target::parse("http://example.com:80").is_err());
    }

    #[test]
    fn parses_source_ranges() {
        let s = parse_sources("127.0.0.2-127.0.0.9").unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(s[7], Ipv4Addr::new(127, 0, 0, 9));
        assert!(parse_sources("none").unwrap().is_empty());
        assert!(parse_sources("192.168.0.1").is_err());
    }
}
