// wan-delay: delays every packet of a netfilter queue by a fixed time, for
// bench/run.sh's WAN case. This kernel has no netem (CONFIG_NET_SCH_NETEM is
// off), so run.sh sends the mirror's packets into NFQUEUE with iptables in a
// network namespace of its own, and this holds each one for --delay-ms before
// accepting it. Packets are queued after the loopback device released them
// from their socket (PREROUTING), so TCP sees a real round trip: its windows
// and socket buffers limit a long fat link as they would on a WAN.
//
// Talks nfnetlink_queue directly (linux/netfilter/nfnetlink_queue.h): bind
// the queue, ask for metadata only (no payload copies) and whole GSO packets,
// then answer with one batch verdict for every packet that is due (the delay
// is the same for all, so they fall due in queue order).

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "bench/tool/commands.h"

namespace kmirror::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// NLMSG_DATA without its C cast of our pointer.
template <typename Header>
auto* payload(Header* h) noexcept {
    using Byte = std::conditional_t<std::is_const_v<Header>, const char, char>;
    return reinterpret_cast<Byte*>(h) + NLMSG_HDRLEN;
}

std::runtime_error sys_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

/// A file descriptor closed on destruction.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

/// One nfnetlink_queue request: header, nfgenmsg, attributes.
class Request {
public:
    Request(std::uint16_t type, std::uint16_t flags, std::uint16_t queue) {
        auto* h = header();
        h->nlmsg_len = NLMSG_LENGTH(sizeof(nfgenmsg));
        h->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_QUEUE << 8) | type);
        h->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
        nfgenmsg g{};
        g.nfgen_family = AF_UNSPEC;
        g.version = NFNETLINK_V0;
        g.res_id = htons(queue);
        std::memcpy(payload(h), &g, sizeof g);
    }
    void put(std::uint16_t type, const void* data, std::size_t len) {
        auto* h = header();
        const std::size_t at = NLMSG_ALIGN(h->nlmsg_len);
        const std::size_t attr_len = NLA_HDRLEN + len;
        if (at + NLA_ALIGN(attr_len) > buf_.size()) throw std::logic_error("request too long");
        nlattr a{static_cast<std::uint16_t>(attr_len), type};
        std::memcpy(buf_.data() + at, &a, sizeof a);
        std::memcpy(buf_.data() + at + NLA_HDRLEN, data, len);
        h->nlmsg_len = static_cast<std::uint32_t>(at + NLA_ALIGN(attr_len));
    }
    void send(int fd) {
        if (::send(fd, buf_.data(), header()->nlmsg_len, 0) < 0) throw sys_error("netlink send");
    }

private:
    nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    alignas(nlmsghdr) std::array<char, 256> buf_{};
};

/// Sends a configuration request and waits for its acknowledgement.
void configure(int fd, Request request, const char* what) {
    request.send(fd);
    alignas(nlmsghdr) std::array<char, 8192> buf{};
    const auto n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) throw sys_error(std::string("netlink ack of ") + what);
    const auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
    if (h->nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        std::memcpy(&e, payload(h), sizeof e);
        if (e.error != 0) {
            errno = -e.error;
            throw sys_error(std::string("nfqueue ") + what);
        }
    }
}

struct Held {
    std::uint32_t id;
    Clock::time_point due;
};

/// The packet id of an NFQNL_MSG_PACKET message, or false.
bool packet_id(const nlmsghdr* h, std::uint32_t& id) {
    if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) return false;
    const char* base = payload(h) + NLMSG_ALIGN(sizeof(nfgenmsg));
    const auto* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
    for (const char* p = base; p + NLA_HDRLEN <= end;) {
        nlattr a{};
        std::memcpy(&a, p, sizeof a);
        if (a.nla_len < NLA_HDRLEN) return false;
        if ((a.nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR) {
            nfqnl_msg_packet_hdr ph{};
            std::memcpy(&ph, p + NLA_HDRLEN, sizeof ph);
            id = ntohl(ph.packet_id);
            return true;
        }
        p += NLA_ALIGN(a.nla_len);
    }
    return false;
}

void accept_up_to(int fd, std::uint16_t queue, std::uint32_t id) {
    Request r(NFQNL_MSG_VERDICT_BATCH, 0, queue);
    const nfqnl_msg_verdict_hdr v{htonl(NF_ACCEPT), htonl(id)};
    r.put(NFQA_VERDICT_HDR, &v, sizeof v);
    r.send(fd);
}

}  // namespace

int run_wan_delay(Args& args) {
    const auto queue = static_cast<std::uint16_t>(args.num("queue"));
    const auto delay = std::chrono::microseconds(args.num("delay-ms") * 1000);
    args.finish();

    // SIGTERM and SIGINT end the loop through a signalfd (no handler state).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) throw sys_error("sigprocmask");
    const Fd signals(signalfd(-1, &stop_signals, SFD_CLOEXEC));
    if (signals.get() < 0) throw sys_error("signalfd");

    const Fd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (sock.get() < 0) throw sys_error("netlink socket");
    const int one = 1;
    const int rcvbuf = 64 << 20;
    (void)setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    (void)setsockopt(sock.get(), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (bind(sock.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        throw sys_error("netlink bind");
    }

    Request bind_queue(NFQNL_MSG_CONFIG, NLM_F_ACK, queue);
    const nfqnl_msg_config_cmd cmd{NFQNL_CFG_CMD_BIND, 0, htons(AF_INET)};
    bind_queue.put(NFQA_CFG_CMD, &cmd, sizeof cmd);
    configure(sock.get(), bind_queue, "bind");
    Request params(NFQNL_MSG_CONFIG, NLM_F_ACK, queue);
    const nfqnl_msg_config_params copy{htonl(0), NFQNL_COPY_META};
    params.put(NFQA_CFG_PARAMS, &copy, sizeof copy);
    // Packets in flight over the delay: far more than the default 1024.
    const std::uint32_t maxlen = htonl(1U << 20U);
    params.put(NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
    const std::uint32_t gso = htonl(NFQA_CFG_F_GSO);
    params.put(NFQA_CFG_FLAGS, &gso, sizeof gso);
    params.put(NFQA_CFG_MASK, &gso, sizeof gso);
    configure(sock.get(), params, "params");
    std::printf("wan-delay: queue %u, %lld ms per packet\n", queue,
                static_cast<long long>(delay.count() / 1000));
    std::fflush(stdout);

    std::deque<Held> held;
    std::size_t most_held = 0;
    std::uint64_t packets = 0;
    alignas(nlmsghdr) static std::array<char, 1 << 20> buf{};
    std::array<pollfd, 2> fds{pollfd{sock.get(), POLLIN, 0}, pollfd{signals.get(), POLLIN, 0}};
    for (;;) {
        timespec wait{1, 0};
        if (!held.empty()) {
            const auto left = std::max(held.front().due - Clock::now(), Clock::duration::zero());
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            wait = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        }
        if (ppoll(fds.data(), fds.size(), &wait, nullptr) < 0 && errno != EINTR) {
            throw sys_error("ppoll");
        }
        if (fds[1].revents != 0) break;
        for (;;) {
            const auto n = ::recv(sock.get(), buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
                throw sys_error("netlink recv");
            }
            const auto now = Clock::now();
            auto len = static_cast<unsigned int>(n);
            for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
                 h = NLMSG_NEXT(h, len)) {
                std::uint32_t id = 0;
                if (packet_id(h, id)) {
                    held.push_back({id, now + delay});
                    ++packets;
                }
            }
        }
        most_held = std::max(most_held, held.size());
        const auto now = Clock::now();
        std::uint32_t last = 0;
        bool due = false;
        while (!held.empty() && held.front().due <= now) {
            last = held.front().id;
            due = true;
            held.pop_front();
        }
        if (due) accept_up_to(sock.get(), queue, last);
    }
    if (!held.empty()) accept_up_to(sock.get(), queue, held.back().id);
    std::printf("wan-delay: %llu packets delayed, at most %zu held at once\n",
                static_cast<unsigned long long>(packets), most_held);
    return 0;
}

}  // namespace kmirror::bench
