#include "metrics/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>
#include <vector>

namespace kmirror::metrics {
namespace {

using boost::asio::ip::tcp;

// The server on its own io_context thread, as in the daemon.
class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<HttpServer>(io_, "127.0.0.1:0");
        server_->route("/healthz", [] { return HttpResponse{200, "text/plain", "ok\n"}; });
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        boost::asio::post(io_, [this] { server_->stop(); });
        thread_.join();
    }
    // Sends raw bytes, returns everything the server answers until it closes.
    std::string exchange(const std::string& request) {
        boost::asio::io_context client;
        tcp::socket socket(client);
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
        boost::asio::write(socket, boost::asio::buffer(request));
        std::string out;
        boost::system::error_code ec;
        char buf[4096];
        while (true) {
            const auto n = socket.read_some(boost::asio::buffer(buf), ec);
            if (ec) break;
            out.append(buf, n);
        }
        return out;
    }

    boost::asio::io_context io_;
    std::unique_ptr<HttpServer> server_;
    std::thread thread_;
};

TEST_F(HttpServerTest, AnswersARoute) {
    const auto r = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK", 0), 0u) << r;
    EXPECT_NE(r.find("\r\n\r\nok\n"), std::string::npos) << r;
}

TEST_F(HttpServerTest, UnknownPathIs404AndOtherMethodsAre405) {
    EXPECT_EQ(exchange("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 404", 0),
              0u);
    EXPECT_EQ(exchange("POST /healthz HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                  .rfind("HTTP/1.1 405", 0),
              0u);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerGoesOn) {
    EXPECT_EQ(exchange("GARBAGE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(exchange("GET / HTTP/9.9.9\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\nX: " + std::string(20'000, 'a') + "\r\n\r\n")
                  .rfind("HTTP/1.1 400", 0),
              0u);
    EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0),
              0u);
}

TEST_F(HttpServerTest, FiftyConcurrentClientsAreAllAnswered) {
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int i = 0; i < 50; ++i) {
        clients.emplace_back([&] {
            const auto r = exchange("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
            if (r.rfind("HTTP/1.1 200", 0) == 0) ok.fetch_add(1);
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 50);
}

TEST(HttpServer, RefusesAnAddressItCannotBind) {
    boost::asio::io_context io;
    EXPECT_THROW(HttpServer(io, "not-an-address:80"), std::runtime_error);
    EXPECT_THROW(HttpServer(io, "127.0.0.1"), std::runtime_error);
}

}  // namespace
}  // namespace kmirror::metrics
