// execute --mode demo|live: approved intents become orders on OKX, through the signed REST API.
//
// The order of things, so that a crash at any moment loses nothing and places nothing twice:
//  1. every order is written to the store's journal (orders table, committed) before its
//     request is sent, under a client order id that the same intent always gets;
//  2. OKX's answer (ordId, or its refusal with code and message) goes to the store;
//  3. order states and fills come from OKX (polled once per step of --bar, when the input
//     pauses if it comes faster than once a second, and at the end): a fill is written once
//     per tradeId, never made up; every reconcile_every of event time the poll also compares
//     the cash with OKX's balance and reports open orders the journal does not know;
//  4. at start the journal is reconciled with OKX: each order not finished is asked for by its
//     client order id and adopted as OKX has it, its fills are fetched, an order the journal
//     sent that OKX never got is marked rejected, and an open order on the account that the
//     journal does not know is reported (stderr and the store's reconcile_events), never
//     touched. An intent whose order is in the journal is never sent again;
//  5. OKX's dead-man switch (cancel-all-after) is armed while execute runs and refreshed at a
//     third of its timeout, so the resting orders are canceled if the pipeline dies; the end
//     of the input disarms it (after SIGINT or SIGTERM it stays armed: a stop that is not
//     followed by a restart within the timeout leaves no order resting unwatched);
//  6. with the private WebSocket (ws_url), it logs in and subscribes to the orders and account
//     channels before the reconciliation at start (no change falls between the two); the
//     account channel's cash serves the reconciliations while it is up; orders go out as
//     WebSocket ops, still journaled first; their answers, state changes and fills arrive as
//     pushes, handled as the REST answers are (a fill once per tradeId). While it is down,
//     and once after every reconnect, REST does the work as without it; an op whose answer
//     does not come within ws_answer_timeout_ms is asked for by its client order id.
#pragma once

#include "exec/execute_tool.hpp"
#include "okx/rest.hpp"

namespace okxkit::exec {

struct LiveOptions {
    core::Mode mode = core::Mode::kDemo;       // demo or live
    okx::RestOptions rest;                     // base URL, credentials; demo sets rest.demo
    int dead_man_s = 60;                       // cancel-all-after timeout, 10..120; 0: not armed
    int missing_grace = 2;                     // polls before an unanswered order is "never sent"
    std::int64_t reconcile_every_ms = 300'000; // event time between whole reconciliations
    // The private WebSocket (ws:// or wss:// URL): orders are placed over it and their states
    // and fills come from its orders channel, with REST as the fallback whenever it is down
    // (and a REST poll after every reconnect, for what it missed). Empty: REST only.
    std::string ws_url;
    std::int64_t ws_answer_timeout_ms = 3000; // an order op unanswered this long is asked for
    std::int64_t ws_connect_wait_ms = 10000;  // at start, how long to wait for it to be ready
};

// The filter loop over in against OKX. Needs o.store_path (the journal). Throws core::Error
// when OKX cannot be reached at start (nothing was sent then).
int execute_live(const ExecuteOptions& o, const LiveOptions& l, core::LineReader& in,
                 core::Output& out, ExecuteStats* stats = nullptr);

} // namespace okxkit::exec
