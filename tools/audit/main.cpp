// audit: health, analytics and backups of the store (see audit(1)).
#include "audit/audit_tool.hpp"

int main(int argc, char** argv) {
    return okxkit::audit::audit_main(argc, argv);
}
