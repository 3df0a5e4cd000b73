// REST transport: libcurl easy handle reused across requests, pacing and retry loop.
#include "okx/rest.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "okx/envelope.hpp"
#include "okx/signer.hpp"

#include <chrono>
#include <curl/curl.h>
#include <thread>

namespace okxkit::okx {

namespace {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Sleeps ms, waking early (and throwing) when the user asks the tool to stop.
void pause_ms(std::int64_t ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
        if (core::interrupted()) {
            throw core::Error(core::interrupt_exit(), "interrupted");
        }
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            until - std::chrono::steady_clock::now(), std::chrono::milliseconds(20)));
    }
}

extern "C" size_t collect_body(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

// Lets a long transfer notice SIGINT/SIGTERM.
extern "C" int check_interrupt(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return core::interrupted() ? 1 : 0;
}

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void append_encoded(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
}

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
};

} // namespace

struct RestClient::Impl {
    CURL* curl = nullptr;
    std::chrono::steady_clock::time_point sent_at; // the last request, just before it went out
    curl_slist* headers = nullptr;
    std::string body;
    char error[CURL_ERROR_SIZE] = {};
};

int mark_sent(void* impl, char* /*remote_ip*/, char* /*local_ip*/, int /*remote_port*/,
              int /*local_port*/) {
    static_cast<RestClient::Impl*>(impl)->sent_at = std::chrono::steady_clock::now();
    return CURL_PREREQFUNC_OK;
}

std::string encode_query(const Query& query) {
    std::string out;
    for (const auto& [k, v] : query) {
        if (!out.empty()) {
            out += '&';
        }
        append_encoded(out, k);
        out += '=';
        append_encoded(out, v);
    }
    return out;
}

RestClient::RestClient(RestOptions options)
    : impl_(new Impl), options_(std::move(options)), backoff_(500, 10000, options_.seed) {
    static CurlGlobal global;
    impl_->curl = curl_easy_init();
    if (impl_->curl == nullptr) {
        delete impl_;
        throw core::RuntimeError("okx: cannot initialise libcurl");
    }
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
        options_.base_url.pop_back();
    }
    impl_->headers = curl_slist_append(impl_->headers, "Accept: application/json");
    if (options_.demo) {
        impl_->headers = curl_slist_append(impl_->headers, "x-simulated-trading: 1");
    }
    CURL* c = impl_->curl;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, impl_->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &impl_->body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, impl_->error);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "okxkit/" OKXKIT_VERSION);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_interrupt);
    // OKX answers from one host; a redirect elsewhere would be a misconfiguration.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    // Called once the connection is ready, right before the request is written to it.
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, mark_sent);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, impl_);
}

RestClient::~RestClient() {
    curl_slist_free_all(impl_->headers);
    curl_easy_cleanup(impl_->curl);
    delete impl_;
}

nlohmann::json RestClient::get(std::string_view path, const Query& query) {
    std::string request(path);
    if (!query.empty()) {
        request += '?';
        request += encode_query(query);
    }
    return send(path, request, nullptr, true);
}

void RestClient::sync_clock() {
    const std::int64_t before = wall_ms();
    const nlohmann::json data = send("/api/v5/public/time", "/api/v5/public/time", nullptr, false);
    const std::int64_t after = wall_ms();
    if (!data.is_array() || data.empty() || !data[0].contains("ts") || !data[0]["ts"].is_string()) {
        throw OkxError("", "public/time answered without a ts", 200, "GET /api/v5/public/time");
    }
    std::int64_t server = 0;
    try {
        server = std::stoll(data[0]["ts"].get<std::string>());
    } catch (const std::exception&) {
        throw OkxError("", "public/time answered a ts that is not a number", 200,
                       "GET /api/v5/public/time");
    }
    clock_offset_ms_ = server - (before + (after - before) / 2);
    clock_synced_ = true;
    core::Log::debug("clock offset to " + options_.base_url + ": " +
                     std::to_string(clock_offset_ms_) + " ms");
}

nlohmann::json RestClient::get_private(std::string_view path, const Query& query) {
    if (!options_.credentials) {
        throw core::UsageError("a private OKX endpoint needs an API key: set OKX_API_KEY, "
                               "OKX_API_SECRET and OKX_API_PASSPHRASE, or the secrets file");
    }
    if (options_.tape) {
        throw core::UsageError("a replay has no account: private endpoints cannot be replayed");
    }
    std::string request(path);
    if (!query.empty()) {
        request += '?';
        request += encode_query(query);
    }
    const Credentials& cred = *options_.credentials;
    // Signed at each attempt: a retry after a backoff needs a fresh timestamp.
    const auto headers = [&] {
        const std::string ts = access_timestamp(wall_ms() + clock_offset_ms_);
        std::vector<std::string> h;
        h.push_back("OK-ACCESS-KEY: " + cred.key);
        h.push_back("OK-ACCESS-SIGN: " + sign_request(cred.secret, ts, "GET", request, ""));
        h.push_back("OK-ACCESS-TIMESTAMP: " + ts);
        h.push_back("OK-ACCESS-PASSPHRASE: " + cred.passphrase);
        return h;
    };
    if (!clock_synced_) {
        sync_clock();
    }
    try {
        return send(path, request, headers, false);
    } catch (const OkxError& e) {
        if (e.retry() != Retry::kResyncTime) {
            throw;
        }
        core::Log::warning(std::string(e.what()) + ": measuring the clock offset again");
        sync_clock();
        return send(path, request, headers, false);
    }
}

nlohmann::json RestClient::post_private(std::string_view path, const std::string& body,
                                        bool keep_items) {
    if (!options_.credentials) {
        throw core::UsageError("a private OKX endpoint needs an API key: set OKX_API_KEY, "
                               "OKX_API_SECRET and OKX_API_PASSPHRASE, or the secrets file");
    }
    if (options_.tape) {
        throw core::UsageError("a replay has no account: private endpoints cannot be replayed");
    }
    const std::string request(path);
    const Credentials& cred = *options_.credentials;
    const auto headers = [&] {
        const std::string ts = access_timestamp(wall_ms() + clock_offset_ms_);
        std::vector<std::string> h;
        h.emplace_back("Content-Type: application/json");
        h.push_back("OK-ACCESS-KEY: " + cred.key);
        h.push_back("OK-ACCESS-SIGN: " + sign_request(cred.secret, ts, "POST", request, body));
        h.push_back("OK-ACCESS-TIMESTAMP: " + ts);
        h.push_back("OK-ACCESS-PASSPHRASE: " + cred.passphrase);
        return h;
    };
    if (!clock_synced_) {
        sync_clock();
    }
    try {
        return send(path, request, headers, false, &body, keep_items);
    } catch (const OkxError& e) {
        // 50102 is an authentication failure: the order was not looked at.
        if (e.retry() != Retry::kResyncTime) {
            throw;
        }
        core::Log::warning(std::string(e.what()) + ": measuring the clock offset again");
        sync_clock();
        return send(path, request, headers, false, &body, keep_items);
    }
}

nlohmann::json RestClient::send(std::string_view path, const std::string& request,
                                const std::function<std::vector<std::string>()>& headers, bool tape,
                                const std::string* post_body, bool keep_items) {
    const std::string url = options_.base_url + request;
    const std::string endpoint = (post_body != nullptr ? "POST " : "GET ") + std::string(path);
    for (int attempt = 0;; ++attempt) {
        if (tape && options_.tape) {
            // Replay: the recorded answer to the same request, retries included.
            const TapeLine* answer = options_.tape->next_rest(request);
            if (!answer) {
                throw core::RuntimeError("tape: no recorded answer for GET " + request +
                                         " (the tape ends, or was made with other options)");
            }
            ++requests_;
            try {
                return parse_envelope(answer->body, answer->status, endpoint);
            } catch (const OkxError& e) {
                if (e.retry() != Retry::kBackoff || attempt >= options_.max_retries) {
                    throw;
                }
                core::Log::emit(core::Level::kWarning,
                                std::string(e.what()) + "; retry " + std::to_string(attempt + 1) +
                                    " of " + std::to_string(options_.max_retries) + " in " +
                                    std::to_string(backoff_.delay_ms(attempt)) + " ms");
                continue;
            }
        }
        for (std::int64_t wait = limiter_.acquire(path, steady_ms()); wait > 0;
             wait = limiter_.acquire(path, steady_ms())) {
            pause_ms(wait);
        }
        impl_->body.clear();
        impl_->error[0] = '\0';
        curl_easy_setopt(impl_->curl, CURLOPT_URL, url.c_str());
        if (post_body != nullptr) {
            curl_easy_setopt(impl_->curl, CURLOPT_POSTFIELDS, post_body->c_str());
            curl_easy_setopt(impl_->curl, CURLOPT_POSTFIELDSIZE,
                             static_cast<long>(post_body->size()));
        }
        // The signed headers of this attempt, on top of the client's own; freed after it.
        curl_slist* extra = nullptr;
        if (headers) {
            for (curl_slist* h = impl_->headers; h != nullptr; h = h->next) {
                extra = curl_slist_append(extra, h->data);
            }
            for (const std::string& h : headers()) {
                extra = curl_slist_append(extra, h.c_str());
            }
            curl_easy_setopt(impl_->curl, CURLOPT_HTTPHEADER, extra);
        }
        ++requests_;
        CURLcode rc = curl_easy_perform(impl_->curl);
        if (extra != nullptr) {
            curl_easy_setopt(impl_->curl, CURLOPT_HTTPHEADER, impl_->headers);
            curl_slist_free_all(extra);
        }
        if (post_body != nullptr) {
            curl_easy_setopt(impl_->curl, CURLOPT_HTTPGET, 1L); // back to GET for the next
        }
        if (core::interrupted()) {
            throw core::Error(core::interrupt_exit(), "interrupted");
        }
        long status = 0;
        curl_easy_getinfo(impl_->curl, CURLINFO_RESPONSE_CODE, &status);
        try {
            if (rc != CURLE_OK) {
                std::string why = impl_->error[0] != '\0' ? impl_->error : curl_easy_strerror(rc);
                throw OkxError("", "no answer from " + options_.base_url + ": " + why, 0, endpoint);
            }
            if (tape && options_.record) {
                options_.record->rest(wall_ms(), request, status, impl_->body);
            }
            if (tape && on_response) {
                on_response(request, status, impl_->body);
            }
            return parse_envelope(impl_->body, status, endpoint, keep_items);
        } catch (const OkxError& e) {
            // A POST is retried only when OKX refused it before doing anything (rate limit):
            // after a timeout or a 5xx it may have been done, and only its state can tell.
            const bool unprocessed = e.okx_code() == "50011" || e.http_status() == 429;
            if (e.retry() != Retry::kBackoff || attempt >= options_.max_retries ||
                (post_body != nullptr && !unprocessed)) {
                throw;
            }
            std::int64_t delay = backoff_.delay_ms(attempt);
            core::Log::emit(core::Level::kWarning, std::string(e.what()) + "; retry " +
                                                       std::to_string(attempt + 1) + " of " +
                                                       std::to_string(options_.max_retries) +
                                                       " in " + std::to_string(delay) + " ms");
            pause_ms(delay);
        }
    }
}

std::chrono::steady_clock::time_point RestClient::last_sent_at() const {
    return impl_->sent_at;
}

} // namespace okxkit::okx
