//! The errno values the routing code returns, with glibc's `strerror` text,
//! which is what iproute2 prints after `RTNETLINK answers: `.

use std::fmt;

/// A kernel error number, as returned through rtnetlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    /// `EPERM` (1).
    Perm,
    /// `ENOENT` (2).
    NoEnt,
    /// `ESRCH` (3): no matching route or rule to delete.
    Srch,
    /// `EEXIST` (17): the route or rule is already there.
    Exist,
    /// `EXDEV` (18): reverse-path filter rejection (`e_rpf` in `__fib_validate_source`).
    XDev,
    /// `ENODEV` (19).
    NoDev,
    /// `EINVAL` (22): martian, blackhole, malformed request.
    Inval,
    /// `EACCES` (13): `prohibit` route.
    Acces,
    /// `ENETDOWN` (100).
    NetDown,
    /// `ENETUNREACH` (101): no route at all.
    NetUnreach,
    /// `EHOSTUNREACH` (113): an `unreachable` route.
    HostUnreach,
    /// `EADDRNOTAVAIL` (99).
    AddrNotAvail,
}

impl Errno {
    /// The numeric value on Linux.
    pub fn code(self) -> i32 {
        match self {
            Errno::Perm => 1,
            Errno::NoEnt => 2,
            Errno::Srch => 3,
            Errno::Acces => 13,
            Errno::Exist => 17,
            Errno::XDev => 18,
            Errno::NoDev => 19,
            Errno::Inval => 22,
            Errno::AddrNotAvail => 99,
            Errno::NetDown => 100,
            Errno::NetUnreach => 101,
            Errno::HostUnreach => 113,
        }
    }

    /// The kernel's symbolic name.
    pub fn name(self) -> &'static str {
        match self {
            Errno::Perm => "EPERM",
            Errno::NoEnt => "ENOENT",
            Errno::Srch => "ESRCH",
            Errno::Acces => "EACCES",
            Errno::Exist => "EEXIST",
            Errno::XDev => "EXDEV",
            Errno::NoDev => "ENODEV",
            Errno::Inval => "EINVAL",
            Errno::AddrNotAvail => "EADDRNOTAVAIL",
            Errno::NetDown => "ENETDOWN",
            Errno::NetUnreach => "ENETUNREACH",
            Errno::HostUnreach => "EHOSTUNREACH",
        }
    }

    /// glibc's `strerror()` text (what `ip` prints).
    pub fn strerror(self) -> &'static str {
        match self {
            Errno::Perm => "Operation not permitted",
            Errno::NoEnt => "No such file or directory",
            Errno::Srch => "No such process",
            Errno::Acces => "Permission denied",
            Errno::Exist => "File exists",
            Errno::XDev => "Invalid cross-device link",
            Errno::NoDev => "No such device",
            Errno::Inval => "Invalid argument",
            Errno::AddrNotAvail => "Cannot assign requested address",
            Errno::NetDown => "Network is down",
            Errno::NetUnreach => "Network is unreachable",
            Errno::HostUnreach => "No route to host",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{} ({})", self.name(), self.strerror())
    }
}

/// An rtnetlink failure: the errno plus the kernel's extended-ack message, if
/// it sent one. iproute2 prints `Error: <msg>.` when there is a message and
/// `RTNETLINK answers: <strerror>` otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetlinkError {
    /// The error number.
    pub errno: Errno,
    /// The extack message (without the trailing period iproute2 adds).
    pub extack: Option<&'static str>,
}

impl NetlinkError {
    /// An error without an extack message.
    pub fn plain(errno: Errno) -> Self {
        NetlinkError {
            errno,
            extack: None,
        }
    }

    /// An error with an extack message.
    pub fn ext(errno: Errno, msg: &'static str) -> Self {
        NetlinkError {
            errno,
            extack: Some(msg),
        }
    }

    /// Exactly what iproute2 prints on stderr.
    pub fn iproute2_text(&self) -> String {
        match self.extack {
            Some(m) => format!("Error: {m}."),
            None => format!("RTNETLINK answers: {}", self.errno.strerror()),
        }
    }
}

impl From<Errno> for NetlinkError {
    fn from(e: Errno) -> Self {
        NetlinkError::plain(e)
    }
}
