//! Runs a program in a pseudo-terminal and reads its screen with a VT100 parser.
//!
//! The harness answers the terminal queries crossterm sends at start-up (device attributes,
//! cursor position) like a terminal without the kitty keyboard protocol would.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    writer: std::fs::File,
    /// The terminal side, kept open to read its settings after the child exits.
    slave: OwnedFd,
    pub child: Child,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    pub started: Instant,
}

impl Pty {
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> Pty {
        let mut master: libc::c_int = -1;
        let mut slave: libc::c_int = -1;
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty fills the two descriptors; the pointers are valid for the call.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
        cmd.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd.spawn().expect("spawn in pty");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = std::fs::File::from(master.try_clone().unwrap());
        let mut answer = std::fs::File::from(master.try_clone().unwrap());
        let writer = std::fs::File::from(master);
        {
            let parser = parser.clone();
            let raw = raw.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let chunk = &buf[..n];
                            // Primary device attributes: a VT220 without the kitty protocol.
                            if chunk.windows(3).any(|w| w == b"\x1b[c") {
                                let _ = answer.write_all(b"\x1b[?62;22c");
                            }
                            if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                                let _ = answer.write_all(b"\x1b[1;1R");
                            }
                            raw.lock().unwrap().extend_from_slice(chunk);
                            parser.lock().unwrap().process(chunk);
                        }
                    }
                }
            });
        }
        Pty { writer, slave, child, parser, raw, started }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types text with a little pause per key, as a person (and a terminal) would send it.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let mut b = [0u8; 4];
            self.send(c.encode_utf8(&mut b).as_bytes());
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Waits until the screen shows `needle`; panics with the screen after `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `needle`, looking every 100 µs, and returns when it did:
    /// for latencies of a few milliseconds, where [`Pty::wait_for`]'s 20 ms would hide them.
    pub fn wait_for_closely(&self, needle: &str, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            if self.parser.lock().unwrap().screen().contents().contains(needle) {
                return Instant::now();
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; the screen shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Bytes the program has written to the terminal so far.
    pub fn output_len(&self) -> usize {
        self.raw.lock().unwrap().len()
    }

    /// How many times the program has written `needle` to the terminal so far.
    pub fn output_count(&self, needle: &[u8]) -> usize {
        self.raw.lock().unwrap().windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// Waits for the child to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the program did not exit; the screen shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What a person would see wrong with the terminal after the program ends; empty when it
    /// is as it was: main screen, cursor shown, no mouse reporting or bracketed paste, and the
    /// line discipline back in canonical mode with echo.
    pub fn restore_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        {
            let p = self.parser.lock().unwrap();
            let s = p.screen();
            if s.alternate_screen() {
                problems.push("still on the alternate screen".to_string());
            }
            if s.hide_cursor() {
                problems.push("cursor hidden".to_string());
            }
            if s.bracketed_paste() {
                problems.push("bracketed paste still on".to_string());
            }
            if s.mouse_protocol_mode() != vt100::MouseProtocolMode::None {
                problems.push(format!("mouse reporting still on: {:?}", s.mouse_protocol_mode()));
            }
        }
        // SAFETY: termios is plain data; tcgetattr fills it from a valid descriptor.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) } == 0 {
            if t.c_lflag & libc::ICANON == 0 {
                problems.push("terminal left in raw mode (no ICANON)".to_string());
            }
            if t.c_lflag & libc::ECHO == 0 {
                problems.push("echo left off".to_string());
            }
        }
        problems
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pty {
    /// The foreground colour of a screen cell.
    pub fn fg(&self, row: u16, col: u16) -> Option<vt100::Color> {
        self.parser.lock().unwrap().screen().cell(row, col).map(|c| c.fgcolor())
    }
}

impl Pty {
    /// Waits until the screen shows every one of `needles` (a frame can arrive in several
    /// reads, so checking one string and then the others would race).
    pub fn wait_for_all(&self, needles: &[&str], timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            if Instant::now() > deadline {
                let missing: Vec<&&str> = needles.iter().filter(|n| !s.contains(**n)).collect();
                panic!("timed out waiting for {missing:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
