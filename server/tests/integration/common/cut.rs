//! A TCP proxy a test can cut: every connection through it dropped and new
//! ones refused until it is restored — a network partition between one
//! process and a server, the others still reaching it.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A proxy on 127.0.0.1 to one address.
pub struct Cuttable {
    /// Where to connect instead of the target.
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Cuttable {
    /// A proxy to `target`, open.
    pub async fn to(target: SocketAddr) -> Cuttable {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (cut, cutting) = watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if *cutting.borrow() {
                    continue; // dropped: refused while cut
                }
                tokio::spawn(pipe(inbound, target, cutting.clone()));
            }
        });
        Cuttable { addr, cut, task }
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// Copies between `inbound` and a new connection to `target` until either
/// ends or the proxy is cut; both are dropped then.
async fn pipe(mut inbound: TcpStream, target: SocketAddr, mut cutting: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(target).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cutting.wait_for(|cut| *cut) => {}
    }
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        self.task.abort();
    }
}
