//! A hint to the CPU to start fetching memory the event loop will read soon.
//!
//! In the storm up to 32,400 subchannels point at deleted pods (2 MiB of
//! 64-byte subchannels, more than the 512 KiB L2 of the machine this was
//! measured on), and each event reads one of them at random. Reading a
//! millisecond's subchannels when its events are loaded overlaps their
//! cache misses, but the loop still waits
//! for the last of them; a prefetch instruction retires at once, so issuing
//! it for the next milliseconds' events takes those misses off the loop's
//! path (see `Sim::warm_subchannels`); node-local-dns does the same for the
//! cache slots of a tick's lookups. It changes no value the simulation
//! computes. x86-64 only (the native CLI); elsewhere, wasm included, it does
//! nothing. The one `unsafe` block of the crate (`[lints.rust]` in
//! Cargo.toml denies `unsafe_code` everywhere else).

/// Asks the CPU to bring the cache line holding the start of `*r` into its
/// caches.
#[inline(always)]
#[allow(unsafe_code)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which is in the x86-64 baseline every
    // x86-64 CPU has. It is only a hint: it loads nothing into a register and
    // cannot fault, whatever the address (here a live reference's).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (r as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
