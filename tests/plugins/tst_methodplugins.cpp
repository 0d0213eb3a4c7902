// The method plugins as the CLI and GUI see them: found on disk, their JSON
// metadata parsed and enforced, each creating a working method.
#include "core/errors.h"
#include "core/quant/method.h"
#include "core/quant/methodinfo.h"
#include "core/quant/methodregistry.h"

#include <QtTest>

using namespace ol;

class TestMethodPlugins : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void allMethodsFound() {
        const auto names = MethodRegistry::instance().names();
        for (const auto* n : {"rtn", "smoothquant", "duquant"})
            QVERIFY2(std::find(names.begin(), names.end(), n) != names.end(), n);
    }

    void duquantMetadataDescribesItsFlags() {
        const auto& info = MethodRegistry::instance().info("duquant");
        QCOMPARE(info.title, std::string("DuQuant"));
        const auto* bs = info.find("block_size");
        QVERIFY(bs);
        QCOMPARE(bs->type, std::string("int"));
        QCOMPARE(bs->defaultValue.get<int>(), 128);
        QCOMPARE(bs->minimum.get<int>(), 1);
        for (const auto* p :
             {"smooth", "alpha", "max_rotation_step", "permutation_times", "reference_compat", "lwc", "epochs", "lwc_lr"})
            QVERIFY2(info.find(p), p);
        QVERIFY(!info.find("wbits")); // common settings are described once, by core
        QVERIFY(commonQuantParameters().find("wbits"));
    }

    void resolveFillsDefaultsAndChecks() {
        const auto& info = MethodRegistry::instance().info("duquant");
        auto p = info.resolve({{"block_size", 4}});
        QCOMPARE(p["block_size"].get<int>(), 4);
        QCOMPARE(p["max_rotation_step"].get<int>(), 256);
        auto expectError = [&](const nlohmann::json& given, const std::string& text) {
            try {
                info.resolve(given);
                QFAIL("expected UsageError");
            } catch (const UsageError& e) {
                const auto shown = renderParameters(e.what(), ParameterStyle::Flag); // as the CLI shows it
                QVERIFY2(shown.find(text) != std::string::npos, shown.c_str());
            }
        };
        expectError({{"block_size", 0}}, "--block_size 0 is below its minimum 1");
        expectError({{"alpha", 1.5}}, "--alpha 1.5 is above its maximum 1");
        expectError({{"block_size", "big"}}, "--block_size takes an integer");
        expectError({{"rotation_stpes", 3}}, "has no parameter --rotation_stpes");
        expectError({{"smooth", 1}}, "--smooth takes true or false");
    }

    void unknownMethodListsTheKnownOnes() {
        try {
            MethodRegistry::instance().info("quarot");
            QFAIL("expected UsageError");
        } catch (const UsageError& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("unknown method 'quarot'") != std::string::npos && m.find("duquant") != std::string::npos, e.what());
        }
    }

    void pluginsCreateMethods() {
        for (const auto& name : MethodRegistry::instance().names()) {
            auto m = MethodRegistry::instance().create(name, nlohmann::json::object());
            QVERIFY(m);
            QCOMPARE(m->name(), name);
            QVERIFY(m->parameters().is_object());
        }
        auto d = MethodRegistry::instance().create("duquant", {{"qk_hadamard", false}});
        QVERIFY(!d->rotatesQueryKey());
        QVERIFY(MethodRegistry::instance().create("duquant", {})->rotatesQueryKey());
    }

    void malformedMetadataIsAFormatError() {
        QVERIFY_THROWS_EXCEPTION(FormatError, MethodInfo::fromJson(nlohmann::json::parse(R"({"title": "x"})"), "test"));
        QVERIFY_THROWS_EXCEPTION(
            FormatError,
            MethodInfo::fromJson(
                nlohmann::json::parse(R"({"name": "x", "parameters": [{"name": "a", "type": "matrix", "default": 1}]})"),
                "test"));
        QVERIFY_THROWS_EXCEPTION(
            FormatError,
            MethodInfo::fromJson(
                nlohmann::json::parse(R"({"name": "x", "parameters": [{"name": "a", "type": "int", "default": 5, "max": 3}]})"),
                "test"));
    }
};

QTEST_GUILESS_MAIN(TestMethodPlugins)
#include "tst_methodplugins.moc"
