#include "views/tune/parameterform.h"
#include "core/errors.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>
#include <climits>

namespace olv {

class ParameterEditCommand : public QUndoCommand {
public:
    ParameterEditCommand(ParameterForm* form, QString method, QString name, nlohmann::json before, nlohmann::json after)
        : m_form(form), m_method(std::move(method)), m_name(std::move(name)), m_before(std::move(before)),
          m_after(std::move(after)) {
        setText(QObject::tr("set %1 to %2").arg(m_name, QString::fromStdString(m_after.dump())));
    }
    void undo() override { apply(m_before); }
    void redo() override { apply(m_after); }
    int id() const override { return 1; }
    // Consecutive edits of one field (typing, spinning) merge into one step.
    bool mergeWith(const QUndoCommand* other) override {
        auto* o = static_cast<const ParameterEditCommand*>(other);
        if (o->m_name != m_name || o->m_method != m_method) return false;
        m_after = o->m_after;
        setText(o->text());
        return true;
    }

private:
    void apply(const nlohmann::json& v) {
        if (m_form->m_method != m_method && !m_method.isEmpty()) m_form->applyMethod(m_method);
        m_form->applyValue(m_name, v);
    }
    ParameterForm* m_form;
    QString m_method, m_name;
    nlohmann::json m_before, m_after;
};

class MethodChangeCommand : public QUndoCommand {
public:
    MethodChangeCommand(ParameterForm* form, QString before, QString after)
        : m_form(form), m_before(std::move(before)), m_after(std::move(after)) {
        setText(QObject::tr("method %1").arg(m_after));
    }
    void undo() override { m_form->applyMethod(m_before); }
    void redo() override { m_form->applyMethod(m_after); }

private:
    ParameterForm* m_form;
    QString m_before, m_after;
};

ParameterForm::ParameterForm(QWidget* parent)
    : QWidget(parent), m_chooser(new QComboBox(this)), m_description(new QLabel(this)), m_methodBox(new QGroupBox(this)),
      m_methodForm(new QFormLayout), m_commonForm(new QFormLayout), m_undo(new QUndoStack(this)) {
    m_description->setWordWrap(true);
    m_methodBox->setLayout(m_methodForm);
    auto* commonBox = new QGroupBox(tr("Bit widths and clipping"), this);
    commonBox->setLayout(m_commonForm);
    auto* chooserRow = new QFormLayout;
    chooserRow->addRow(tr("Method"), m_chooser);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(chooserRow);
    layout->addWidget(m_description);
    layout->addWidget(commonBox);
    layout->addWidget(m_methodBox);
    layout->addStretch();
    connect(m_chooser, &QComboBox::currentIndexChanged, this, [this](int) {
        if (m_updating) return;
        const auto name = m_chooser->currentData().toString();
        if (name != m_method) m_undo->push(new MethodChangeCommand(this, m_method, name));
    });
}

void ParameterForm::setMethods(const std::vector<ol::MethodInfo>& methods, const ol::MethodInfo& common) {
    m_methods = methods;
    m_common = common;
    m_commonValues = common.defaults();
    m_values.clear();
    for (const auto& m : methods) m_values[m.name] = m.defaults();
    m_updating = true;
    m_chooser->clear();
    for (const auto& m : methods) m_chooser->addItem(QString::fromStdString(m.title), QString::fromStdString(m.name));
    m_updating = false;
    // Common editors (built once per setMethods).
    while (m_commonForm->rowCount() > 0) m_commonForm->removeRow(0);
    for (const auto& p : common.parameters) {
        auto* e = makeEditor(p, true);
        m_commonForm->addRow(QString::fromStdString(p.label), e);
        m_editors.insert(QString::fromStdString(p.name), e);
        showValue(QString::fromStdString(p.name));
    }
    m_undo->clear();
    QString initial = QStringLiteral("duquant");
    if (m_chooser->findData(initial) < 0 && !methods.empty()) initial = QString::fromStdString(methods.front().name);
    applyMethod(initial);
}

const ol::MethodParameter* ParameterForm::find(const QString& name, bool* common) const {
    const auto key = name.toStdString();
    if (auto* p = m_common.find(key)) {
        if (common) *common = true;
        return p;
    }
    for (const auto& m : m_methods)
        if (QString::fromStdString(m.name) == m_method)
            if (auto* p = m.find(key)) {
                if (common) *common = false;
                return p;
            }
    return nullptr;
}

void ParameterForm::setMethod(const QString& name) {
    if (name != m_method && m_chooser->findData(name) >= 0) m_undo->push(new MethodChangeCommand(this, m_method, name));
}

void ParameterForm::applyMethod(const QString& name) {
    m_method = name;
    m_updating = true;
    m_chooser->setCurrentIndex(m_chooser->findData(name));
    m_updating = false;
    rebuildMethodForm();
    Q_EMIT changed();
}

void ParameterForm::rebuildMethodForm() {
    for (const auto& p : m_methods)
        for (const auto& param : p.parameters) {
            auto key = QString::fromStdString(param.name);
            if (!m_common.find(param.name)) m_editors.remove(key);
        }
    while (m_methodForm->rowCount() > 0) m_methodForm->removeRow(0);
    for (const auto& m : m_methods) {
        if (QString::fromStdString(m.name) != m_method) continue;
        m_methodBox->setTitle(tr("%1 parameters").arg(QString::fromStdString(m.title)));
        m_description->setText(
            QString::fromStdString(ol::renderParameters(m.description, ol::ParameterStyle::Name)) +
            (m.reference.empty() ? QString() : QStringLiteral("<br><i>%1</i>").arg(QString::fromStdString(m.reference))));
        for (const auto& p : m.parameters) {
            auto* e = makeEditor(p, false);
            m_methodForm->addRow(QString::fromStdString(p.label), e);
            m_editors.insert(QString::fromStdString(p.name), e);
            showValue(QString::fromStdString(p.name));
        }
    }
}

QWidget* ParameterForm::makeEditor(const ol::MethodParameter& p, bool) {
    const auto name = QString::fromStdString(p.name);
    const auto tip = QString::fromStdString(ol::renderParameters(p.help, ol::ParameterStyle::Name));
    QWidget* editor = nullptr;
    if (p.type == "int") {
        auto* s = new QSpinBox;
        s->setRange(p.minimum.is_null() ? INT_MIN : p.minimum.get<int>(), p.maximum.is_null() ? INT_MAX : p.maximum.get<int>());
        // "Q/K/V bits: same as activations" rather than a bare -1.
        if (!p.minimumMeans.empty()) s->setSpecialValueText(QString::fromStdString(p.minimumMeans));
        s->setKeyboardTracking(false);
        connect(s, &QSpinBox::valueChanged, this, [this, name](int v) { onEdited(name, v); });
        editor = s;
    } else if (p.type == "double") {
        auto* s = new QDoubleSpinBox;
        s->setDecimals(4);
        s->setSingleStep(0.05);
        s->setRange(p.minimum.is_null() ? -1e9 : p.minimum.get<double>(), p.maximum.is_null() ? 1e9 : p.maximum.get<double>());
        s->setKeyboardTracking(false);
        connect(s, &QDoubleSpinBox::valueChanged, this, [this, name](double v) { onEdited(name, v); });
        editor = s;
    } else if (p.type == "bool") {
        auto* c = new QCheckBox;
        connect(c, &QCheckBox::toggled, this, [this, name](bool v) { onEdited(name, v); });
        editor = c;
    } else {
        auto* c = new QComboBox;
        for (const auto& choice : p.choices) c->addItem(QString::fromStdString(choice));
        connect(c, &QComboBox::currentTextChanged, this, [this, name](const QString& v) { onEdited(name, v.toStdString()); });
        editor = c;
    }
    editor->setToolTip(tip);
    editor->setObjectName(QStringLiteral("param_") + name);
    return editor;
}

void ParameterForm::showValue(const QString& name) {
    auto* e = m_editors.value(name);
    if (!e) return;
    const auto v = value(name);
    if (v.is_null()) return;
    m_updating = true;
    if (auto* s = qobject_cast<QSpinBox*>(e))
        s->setValue(v.get<int>());
    else if (auto* d = qobject_cast<QDoubleSpinBox*>(e))
        d->setValue(v.get<double>());
    else if (auto* c = qobject_cast<QCheckBox*>(e))
        c->setChecked(v.get<bool>());
    else if (auto* b = qobject_cast<QComboBox*>(e))
        b->setCurrentText(QString::fromStdString(v.get<std::string>()));
    m_updating = false;
}

void ParameterForm::onEdited(const QString& name, const nlohmann::json& v) {
    if (m_updating) return;
    const auto before = value(name);
    if (before == v) return;
    bool common = false;
    if (!find(name, &common)) return;
    m_undo->push(new ParameterEditCommand(this, common ? QString() : m_method, name, before, v));
}

bool ParameterForm::setValue(const QString& name, const nlohmann::json& v) {
    bool common = false;
    const auto* p = find(name, &common);
    if (!p) return false;
    try {
        const ol::MethodInfo& info = common ? m_common : *std::find_if(m_methods.begin(), m_methods.end(), [&](const auto& m) {
            return QString::fromStdString(m.name) == m_method;
        });
        info.resolve(nlohmann::json{{p->name, v}});
    } catch (const std::exception&) {
        return false;
    }
    onEdited(name, v);
    return true;
}

void ParameterForm::applyValue(const QString& name, const nlohmann::json& v) {
    bool common = false;
    if (!find(name, &common)) return;
    if (common)
        m_commonValues[name.toStdString()] = v;
    else
        m_values[m_method.toStdString()][name.toStdString()] = v;
    showValue(name);
    Q_EMIT changed();
}

nlohmann::json ParameterForm::value(const QString& name) const {
    const auto key = name.toStdString();
    if (m_common.find(key)) return m_commonValues.value(key, nlohmann::json());
    auto it = m_values.find(m_method.toStdString());
    if (it == m_values.end()) return {};
    return it->second.value(key, nlohmann::json());
}

void ParameterForm::setDefault(const QString& name, const nlohmann::json& v) {
    const auto key = name.toStdString();
    for (const auto& m : m_methods)
        if (m.find(key)) m_values[m.name][key] = v;
    if (m_common.find(key)) m_commonValues[key] = v;
    showValue(name);
    Q_EMIT changed();
}

nlohmann::json ParameterForm::methodParameters() const {
    auto it = m_values.find(m_method.toStdString());
    return it == m_values.end() ? nlohmann::json::object() : it->second;
}

nlohmann::json ParameterForm::commonParameters() const { return m_commonValues; }

ol::QuantSettings ParameterForm::settings() const { return ol::QuantSettings::fromJson(m_commonValues); }

} // namespace olv
