// Typed reads of a tape header's fields (see tape_header.hpp).
#include "stream/tape_header.hpp"

namespace okxkit::stream {

namespace {

// What a JSON value is, for "found ..." (a short excerpt for a string or a number).
std::string describe(const nlohmann::json* v) {
    if (v == nullptr) {
        return "nothing";
    }
    switch (v->type()) {
    case nlohmann::json::value_t::object:
        return "an object";
    case nlohmann::json::value_t::array:
        return "an array";
    case nlohmann::json::value_t::string:
        return "the string " + core::excerpt(v->get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
        return v->get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::null:
        return "null";
    default:
        return "the number " + core::excerpt(v->dump());
    }
}

} // namespace

TapeHeader::TapeHeader(const nlohmann::json& header, std::string where)
    : header_(header), where_(std::move(where)) {
    auto it = header_.find("args");
    if (it == header_.end()) {
        return;
    }
    if (!it->is_object()) {
        throw core::UsageError(where_ + ": tape header field \"args\" must be an object, found " +
                               describe(&*it));
    }
    args_ = &*it;
}

std::string TapeHeader::mode() const {
    auto it = header_.find("mode");
    if (it == header_.end()) {
        return "";
    }
    if (!it->is_string() || it->get_ref<const std::string&>().size() > 16) {
        throw core::UsageError(where_ +
                               ": tape header field \"mode\" must be \"live\" or "
                               "\"history\", found " +
                               describe(&*it));
    }
    return it->get<std::string>();
}

const nlohmann::json* TapeHeader::arg(std::string_view key) const {
    if (args_ == nullptr) {
        return nullptr;
    }
    auto it = args_->find(key);
    return it == args_->end() ? nullptr : &*it;
}

core::UsageError TapeHeader::wrong(std::string_view key, std::string_view expected,
                                   const nlohmann::json* found) const {
    std::string msg = where_;
    msg += ": tape header field \"args.";
    msg += key;
    msg += "\" ";
    msg += expected;
    msg += ", found ";
    msg += describe(found);
    return core::UsageError(msg);
}

std::string TapeHeader::text(std::string_view key, std::size_t max_len) const {
    const nlohmann::json* v = arg(key);
    if (v == nullptr || !v->is_string() || v->get_ref<const std::string&>().size() > max_len) {
        throw wrong(key, "must be a string of at most " + std::to_string(max_len) + " bytes", v);
    }
    return v->get<std::string>();
}

std::string TapeHeader::text_or(std::string_view key, std::string_view fallback,
                                std::size_t max_len) const {
    if (arg(key) == nullptr) {
        return std::string(fallback);
    }
    return text(key, max_len);
}

std::vector<std::string> TapeHeader::texts(std::string_view key, std::size_t max_len) const {
    const nlohmann::json* v = arg(key);
    const std::string expected =
        "must be an array of strings of at most " + std::to_string(max_len) + " bytes";
    if (v == nullptr || !v->is_array()) {
        throw wrong(key, expected, v);
    }
    std::vector<std::string> out;
    for (const auto& e : *v) {
        if (!e.is_string() || e.get_ref<const std::string&>().size() > max_len) {
            throw wrong(key, expected, &e);
        }
        out.push_back(e.get<std::string>());
    }
    return out;
}

namespace {

bool is_int64(const nlohmann::json& v) {
    return v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX);
}

} // namespace

std::optional<std::int64_t> TapeHeader::integer(std::string_view key) const {
    const nlohmann::json* v = arg(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!is_int64(*v)) {
        throw wrong(key, "must be an integer (milliseconds)", v);
    }
    return v->get<std::int64_t>();
}

std::int64_t TapeHeader::integer_or(std::string_view key, std::int64_t fallback, std::int64_t lo,
                                    std::int64_t hi) const {
    const nlohmann::json* v = arg(key);
    if (v == nullptr) {
        return fallback;
    }
    if (!is_int64(*v) || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi) {
        throw wrong(
            key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi), v);
    }
    return v->get<std::int64_t>();
}

bool TapeHeader::boolean_or(std::string_view key, bool fallback) const {
    const nlohmann::json* v = arg(key);
    if (v == nullptr) {
        return fallback;
    }
    if (!v->is_boolean()) {
        throw wrong(key, "must be true or false", v);
    }
    return v->get<bool>();
}

} // namespace okxkit::stream
