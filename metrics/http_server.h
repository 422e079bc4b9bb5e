#pragma once
// HttpServer: a small HTTP/1.1 server (Boost.Beast on the daemon's
// io_context) for /metrics, /healthz, /readyz and /status.
//
// Everything runs on the io_context thread, asynchronously: a slow or stuck
// client holds only its own socket (each read and write has a deadline), and
// handlers only read snapshots, so many clients never stall mirroring.
// Malformed requests get 400, unknown paths 404, other methods 405.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace kmirror::metrics {

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class HttpSession;

class HttpServer {
public:
    using Handler = std::function<HttpResponse()>;

    /// Binds `listen` ("host:port", "[v6]:port"; port 0 picks one). Throws
    /// std::runtime_error naming the address when it cannot bind.
    HttpServer(boost::asio::io_context& io, const std::string& listen);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// GET (and HEAD) `path` answers with `handler`.
    void route(const std::string& path, Handler handler);
    void start();
    /// Closes the acceptor and every open connection (no io_context::stop()).
    void stop();
    [[nodiscard]] unsigned short port() const;

    /// @internal for sessions
    HttpResponse respond(const std::string& method, const std::string& target) const;
    void forget(const std::shared_ptr<HttpSession>& session);

private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::map<std::string, Handler> routes_;
    std::set<std::shared_ptr<HttpSession>> sessions_;  // @thread io
    bool stopped_ = false;
};

}  // namespace kmirror::metrics
