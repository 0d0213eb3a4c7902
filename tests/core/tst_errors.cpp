// Parameters in core's messages (`name`, `name=false`, `name=value`) as each front end renders them.
#include "core/errors.h"

#include <QtTest>

using namespace ol;

class TestErrors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cliRendersFlags() {
        const std::string m = "`block_size` 128 is larger than 64; pass `qk_hadamard=false`, `lh=true` or `device=cpu`";
        QCOMPARE(QString::fromStdString(renderParameters(m, ParameterStyle::Flag)),
                 QStringLiteral("--block_size 128 is larger than 64; pass --no_qk_hadamard, --lh or --device cpu"));
    }
    void guiRendersNames() {
        const std::string m = "`block_size` 128 is larger than 64; pass `qk_hadamard=false`, `lh=true` or `device=cpu`";
        QCOMPARE(QString::fromStdString(renderParameters(m, ParameterStyle::Name)),
                 QStringLiteral("‘block_size’ 128 is larger than 64; pass ‘qk_hadamard’ off, ‘lh’ on or ‘device’ = cpu"));
    }
    void otherTextIsKept() {
        for (const std::string m : {"", "no parameter here", "a `Capitalized` word and a lone ` tick", "--already_a_flag"})
            QCOMPARE(renderParameters(m, ParameterStyle::Flag), m);
    }
};

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
