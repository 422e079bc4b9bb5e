#include "metrics/http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>

namespace kmirror::metrics {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;

tcp::endpoint parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("http.listen '" + listen + "': no port");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (ec) throw std::runtime_error("http.listen '" + listen + "': " + ec.message());
    return {address, static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))};
}

}  // namespace

// One connection: read a request, answer, repeat while keep-alive.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket socket, HttpServer& server)
        : stream_(std::move(socket)), server_(server) {}

    void start() { read(); }
    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

private:
    void read() {
        parser_.emplace();
        parser_->header_limit(kMaxHeaderBytes);
        parser_->body_limit(kMaxHeaderBytes);
        stream_.expires_after(kIoTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_read(ec);
                         });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == boost::asio::error::operation_aborted || ec == boost::asio::error::eof ||
            ec == boost::asio::error::connection_reset) {
            finish();
            return;
        }
        if (ec) {
            // Malformed request: say so, then drop the connection.
            write(http::status::bad_request, "text/plain; charset=utf-8",
                  "bad request: " + ec.message() + "\n", false);
            return;
        }
        const auto& req = parser_->get();
        const auto answer = server_.respond(std::string(req.method_string()), std::string(req.target()));
        write(static_cast<http::status>(answer.status), answer.content_type,
              req.method() == http::verb::head ? std::string() : answer.body, req.keep_alive());
    }

    void write(http::status status, const std::string& type, std::string body, bool keep_alive) {
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::server, "kmirror");
        res->set(http::field::content_type, type);
        res->keep_alive(keep_alive);
        res->body() = std::move(body);
        res->prepare_payload();
        stream_.expires_after(kIoTimeout);
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res, keep_alive](beast::error_code ec,
                                                                       std::size_t) {
                              if (ec || !keep_alive) {
                                  self->close();
                                  self->finish();
                                  return;
                              }
                              self->read();
                          });
    }

    void finish() { server_.forget(shared_from_this()); }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    HttpServer& server_;
};

HttpServer::HttpServer(boost::asio::io_context& io, const std::string& listen)
    : io_(io), acceptor_(io) {
    const auto endpoint = parse_listen(listen);
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("http.listen '" + listen + "': " + ec.message());
}

HttpServer::~HttpServer() = default;

void HttpServer::route(const std::string& path, Handler handler) {
    routes_[path] = std::move(handler);
}

void HttpServer::start() { accept(); }

void HttpServer::stop() {
    stopped_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    auto sessions = sessions_;
    for (const auto& s : sessions) s->close();
}

unsigned short HttpServer::port() const { return acceptor_.local_endpoint().port(); }

void HttpServer::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (stopped_ || ec == boost::asio::error::operation_aborted) return;
        if (!ec) {
            auto session = std::make_shared<HttpSession>(std::move(socket), *this);
            sessions_.insert(session);
            session->start();
        }
        accept();
    });
}

void HttpServer::forget(const std::shared_ptr<HttpSession>& session) { sessions_.erase(session); }

HttpResponse HttpServer::respond(const std::string& method, const std::string& target) const {
    if (method != "GET" && method != "HEAD") {
        return {405, "text/plain; charset=utf-8", "method not allowed\n"};
    }
    const auto path = target.substr(0, target.find('?'));
    auto it = routes_.find(path);
    if (it == routes_.end()) return {404, "text/plain; charset=utf-8", "not found\n"};
    return it->second();
}

}  // namespace kmirror::metrics
