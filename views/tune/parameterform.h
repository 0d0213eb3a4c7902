#pragma once
// The Tune dock: a method chooser and a form built from the plugin's JSON
// metadata (and the bit widths every method shares): spin boxes with the
// declared ranges, check boxes, choices, each with its help as tool tip.
// Every edit (and a method change) is an undoable command; values are kept
// per method when switching.
#include "core/quant/methodinfo.h"
#include "core/quant/quantsettings.h"

#include <QMap>
#include <QWidget>
#include <map>

class QComboBox;
class QFormLayout;
class QLabel;
class QUndoStack;
class QGroupBox;

namespace olv {

class ParameterForm : public QWidget {
    Q_OBJECT
public:
    explicit ParameterForm(QWidget* parent = nullptr);

    void setMethods(const std::vector<ol::MethodInfo>& methods, const ol::MethodInfo& common);
    QString method() const { return m_method; }
    void setMethod(const QString& name); // undoable
    // Values as set (the method's parameters and the common ones), defaults filled in.
    nlohmann::json methodParameters() const;
    nlohmann::json commonParameters() const;
    ol::QuantSettings settings() const;
    // Sets one value (method or common parameter, by its reference flag name); undoable. False when unknown
    // or out of range.
    bool setValue(const QString& name, const nlohmann::json& value);
    nlohmann::json value(const QString& name) const;
    // Replaces a default for every method that has `name` (not undoable: it adapts the form to a newly
    // opened model, e.g. a block size that fits its channels).
    void setDefault(const QString& name, const nlohmann::json& value);
    QWidget* editor(const QString& name) const { return m_editors.value(name); }
    QComboBox* methodChooser() const { return m_chooser; }
    QUndoStack* undoStack() const { return m_undo; }

Q_SIGNALS:
    void changed();

private:
    friend class ParameterEditCommand;
    friend class MethodChangeCommand;
    void applyValue(const QString& name, const nlohmann::json& value); // no undo entry
    void applyMethod(const QString& name);
    void rebuildMethodForm();
    QWidget* makeEditor(const ol::MethodParameter& p, bool common);
    void showValue(const QString& name);
    void onEdited(const QString& name, const nlohmann::json& value);
    const ol::MethodParameter* find(const QString& name, bool* common = nullptr) const;

    std::vector<ol::MethodInfo> m_methods;
    ol::MethodInfo m_common;
    QString m_method;
    std::map<std::string, nlohmann::json> m_values; // method → its values
    nlohmann::json m_commonValues = nlohmann::json::object();
    QComboBox* m_chooser;
    QLabel* m_description;
    QGroupBox* m_methodBox;
    QFormLayout* m_methodForm;
    QFormLayout* m_commonForm;
    QMap<QString, QWidget*> m_editors;
    QUndoStack* m_undo;
    bool m_updating = false;
};

} // namespace olv
