// The safetensors writer's failure modes: misuse is refused with a message, an
// uncommitted or failed write leaves nothing behind, and an unwritable
// destination or a write error (a lowered file size limit failing like a full
// disk) is reported naming the file.
#include "core/errors.h"
#include "core/io/dtype.h"
#include "core/io/safetensors.h"

#include "iotestutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <csignal>
#include <filesystem>
#include <sys/resource.h>
#include <unistd.h>

using namespace ol;
using namespace iotest;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

std::string outDir(const std::string& name) { return freshDir("safetensors", name); }

// Lowers the process's file size limit for one scope, so that writes past it
// fail with EFBIG the way a full disk fails with ENOSPC.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &m_saved);
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN); // else the kernel kills the process
        rlimit lowered = m_saved;
        lowered.rlim_cur = bytes;
        m_ok = ::setrlimit(RLIMIT_FSIZE, &lowered) == 0;
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    void (*m_oldHandler)(int) = nullptr;
    bool m_ok = false;
};

} // namespace

class TestSafetensorsWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writerMisuse() {
        const std::string dir = outDir("misuse");
        const std::string path = dir + "/w.safetensors";
        const QString p = QString::fromStdString(path);
        auto check = [&](const QString& message, const char* tensor, const char* fragment) {
            QVERIFY2(message.contains(p), qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("'%1'").arg(tensor)), qPrintable(message));
            QVERIFY2(message.contains(fragment), qPrintable(message));
        };
        {
            SafetensorsWriter w(path);
            w.declare("a", DType::F32, {2, 2});
            w.declare("b", DType::I64, {3});
            w.declare("c", DType::U8, {1});
            check(errorOf<UsageError>([&] { w.declare("a", DType::F32, {1}); }), "a", "declared twice");
            check(errorOf<UsageError>([&] { w.declare("__metadata__", DType::F32, {1}); }), "__metadata__", "reserved");
            check(errorOf<UsageError>([&] { w.declare("n", DType::F32, {2, -1}); }), "n", "negative dim");
            check(errorOf<UsageError>([&] { w.declare("u", DType::U32, {1}); }), "u", "U32");
            check(errorOf<UsageError>([&] { w.write("x", at::ones({1})); }), "x", "not declared");
            check(errorOf<UsageError>([&] {
                      w.write("a", at::ones({2, 2}, at::kDouble));
                  }),
                  "a", "has dtype F64 but was declared F32");
            check(errorOf<UsageError>([&] { w.write("a", at::ones({4})); }), "a", "has shape [4] but was declared [2, 2]");
            check(errorOf<UsageError>([&] { w.write("a", at::Tensor()); }), "a", "undefined");
            w.write("a", at::ones({2, 2}));
            check(errorOf<UsageError>([&] { w.write("a", at::ones({2, 2})); }), "a", "written twice");
            check(errorOf<UsageError>([&] { w.declare("late", DType::F32, {1}); }), "late", "after the first write");
            w.write("c", at::ones({1}, at::kByte));
            check(errorOf<UsageError>([&] { w.commit(); }), "b", "never written");
        }
        QVERIFY(filesIn(dir).empty());

        QVERIFY(errorOf<UsageError>([&] { saveSafetensors(path, {{"z", at::ones({1}, at::kComplexFloat)}}); }).contains("'z'"));
        {
            SafetensorsWriter w(path);
            w.commit(); // no tensors is a valid file
            QVERIFY(errorOf<UsageError>([&] { w.commit(); }).contains(p));
            QVERIFY(errorOf<UsageError>([&] { w.write("a", at::ones({1})); }).contains(p));
        }
        QVERIFY(SafetensorsReader(path).entries().empty());
    }

    void uncommittedWriterLeavesNothing() {
        const std::string dir = outDir("uncommitted");
        const std::string path = dir + "/never.safetensors";
        {
            SafetensorsWriter w(path);
            w.declare("a", DType::F32, {128});
            w.declare("b", DType::F32, {128});
            w.write("a", at::ones({128}));
            // The bytes went somewhere: a temporary file, not the final name.
            const auto during = filesIn(dir);
            QCOMPARE(during.size(), std::size_t(1));
            QVERIFY(during.front() != "never.safetensors");
            QVERIFY(!fs::exists(path));
        }
        QVERIFY(filesIn(dir).empty());

        // Also when the writer is unwound by an exception.
        QVERIFY(errorOf<UsageError>([&] {
                    saveSafetensors(path, {{"ok", at::ones({4})}, {"bad", at::ones({1}, at::kComplexDouble)}});
                }).contains("'bad'"));
        QVERIFY(filesIn(dir).empty());

        // An existing file survives a writer that never commits.
        saveSafetensors(path, {{"old", at::ones({1})}});
        {
            SafetensorsWriter w(path);
            w.declare("new", DType::F32, {1});
            w.write("new", at::zeros({1}));
        }
        QCOMPARE(filesIn(dir), std::vector<std::string>{"never.safetensors"});
        QVERIFY(SafetensorsReader(path).find("old"));
    }

    void unwritableDestination() {
        const std::string dir = outDir("unwritable");
        const std::string missingDir = dir + "/no/such/folder/x.safetensors";
        QString message = errorOf<RuntimeFailure>([&] { SafetensorsWriter w(missingDir); });
        QVERIFY2(message.contains(QString::fromStdString(missingDir)), qPrintable(message));
        message = errorOf<RuntimeFailure>([&] { saveSafetensors(missingDir, {{"a", at::ones({1})}}); });
        QVERIFY2(message.contains(QString::fromStdString(missingDir)), qPrintable(message));

        // A "folder" that is a regular file fails even for root.
        writeBytes(dir + "/plainfile", "x");
        const std::string underFile = dir + "/plainfile/x.safetensors";
        message = errorOf<RuntimeFailure>([&] { SafetensorsWriter w(underFile); });
        QVERIFY2(message.contains(QString::fromStdString(underFile)), qPrintable(message));

        if (::geteuid() != 0) { // root ignores permission bits
            const std::string locked = dir + "/locked";
            fs::create_directory(locked);
            fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
            const std::string lockedPath = locked + "/x.safetensors";
            message = errorOf<RuntimeFailure>([&] { SafetensorsWriter w(lockedPath); });
            fs::permissions(locked, fs::perms::owner_all);
            QVERIFY2(message.contains(QString::fromStdString(lockedPath)), qPrintable(message));
        }
    }

    void writeErrorIsReported() {
        const std::string dir = outDir("writeerror");
        const std::string path = dir + "/full.safetensors";
        const QString p = QString::fromStdString(path);
        {
            SafetensorsWriter w(path);
            w.declare("small", DType::F32, {4});
            w.declare("big", DType::F32, {1 << 16}); // 256 KiB, past the limit below
            QString writeMessage, commitMessage;
            {
                FileSizeLimit limit(64 * 1024);
                if (!limit.ok()) QSKIP("cannot lower RLIMIT_FSIZE");
                w.write("small", at::ones({4}));
                writeMessage = errorOf<RuntimeFailure>([&] { w.write("big", at::ones({1 << 16})); });
                commitMessage = errorOf<RuntimeFailure>([&] { w.commit(); });
            }
            QVERIFY2(writeMessage.contains(p) && writeMessage.contains("'big'"), qPrintable(writeMessage));
            QVERIFY2(commitMessage.contains(p), qPrintable(commitMessage));
        }
        QVERIFY(filesIn(dir).empty());
    }
};

QTEST_APPLESS_MAIN(TestSafetensorsWriter)
#include "tst_safetensorswriter.moc"
