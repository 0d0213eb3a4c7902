#pragma once
// Inside H5File: its state and the helpers shared by h5file.cpp (files, groups, strings, attributes)
// and h5filetensors.cpp (tensors). Not part of the interface.
#include "core/errors.h"
#include "core/io/atomicfile.h"
#include "core/io/h5file.h"
#include "core/io/h5support.h"

#include <hdf5.h>

#include <filesystem>
#include <memory>
#include <string>

namespace ol {

namespace h5file_detail {

using namespace h5;
namespace fs = std::filesystem;

// Data above this size is chunked and compressed; below it the chunk index and
// filter pipeline cost more than they save.
constexpr std::size_t kCompressAbove = 64 * 1024;
// Chunks stay within HDF5's default 1 MiB chunk cache, so that reading one
// row of a big dataset decompresses each chunk once.
constexpr std::size_t kChunkTarget = 1024 * 1024;
constexpr unsigned kDeflateLevel = 4;
// Marks datasets whose HDF5 type does not say the LibTorch dtype by itself.
const char* const kDTypeAttribute = "ol_dtype";

enum class Kind { Missing, Group, Dataset, Other };

} // namespace h5file_detail

using namespace h5file_detail;

struct H5File::Impl {
    std::string path;                   // the user's path, for messages
    std::unique_ptr<AtomicFile> atomic; // null when opened read-only
    Handle file;
    std::string userBlock; // written at offset 0 of a created file on commit

    ~Impl() {
        // The file must be closed before the temporary file is removed.
        H5Lock lock;
        file.reset();
        atomic.reset();
    }

    std::string where(const std::string& objectPath) const { return path + ": " + objectPath; }
    std::string whereAttr(const std::string& objectPath, const std::string& name) const {
        return where(objectPath) + ": attribute " + quoted(name);
    }

    // What `normPath` names. Walks it one link at a time, because HDF5 fails
    // (rather than answering false) when an intermediate group is missing.
    Kind kind(const std::string& normPath) const {
        const auto parts = components(normPath);
        if (parts.empty()) return Kind::Group;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string prefix = joinPath(parts, i + 1);
            // <= 0: absent, a dangling soft link, or a name HDF5 cannot look up.
            if (H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0 ||
                H5Oexists_by_name(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0)
                return Kind::Missing;
            Handle object(H5Oopen(file.get(), prefix.c_str(), H5P_DEFAULT), H5Oclose);
            if (object.get() < 0) return Kind::Missing;
            const H5I_type_t type = H5Iget_type(object.get());
            if (i + 1 < parts.size()) {
                if (type != H5I_GROUP) return Kind::Missing;
            } else {
                return type == H5I_GROUP ? Kind::Group : type == H5I_DATASET ? Kind::Dataset : Kind::Other;
            }
        }
        return Kind::Missing;
    }

    Handle openGroup(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k == Kind::Missing) throw FormatError(where(normPath) + ": no such group");
        if (k != Kind::Group) throw FormatError(where(normPath) + ": is a dataset, not a group");
        return make(H5Gopen2(file.get(), normPath.c_str(), H5P_DEFAULT), H5Gclose, Side::Read, where(normPath),
                    "cannot open the group");
    }

    Handle openDataset(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k == Kind::Missing) throw FormatError(where(normPath) + ": no such dataset");
        if (k != Kind::Dataset)
            throw FormatError(where(normPath) + ": is " + (k == Kind::Group ? "a group" : "a named type") + ", not a dataset");
        return make(H5Dopen2(file.get(), normPath.c_str(), H5P_DEFAULT), H5Dclose, Side::Read, where(normPath),
                    "cannot open the dataset");
    }

    Handle openObject(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k != Kind::Group && k != Kind::Dataset) throw FormatError(where(normPath) + ": no such group or dataset");
        return make(H5Oopen(file.get(), normPath.c_str(), H5P_DEFAULT), H5Oclose, Side::Read, where(normPath),
                    "cannot open the object");
    }

    void createGroup(const std::string& normPath) {
        const auto parts = components(normPath);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string prefix = joinPath(parts, i + 1);
            const Kind k = kind(prefix);
            if (k == Kind::Group) continue;
            if (k != Kind::Missing)
                throw RuntimeFailure(where(prefix) + ": exists and is not a group, cannot create a group there");
            make(H5Gcreate2(file.get(), prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, Side::Write,
                 where(prefix), "cannot create the group");
        }
    }

    // Makes room for a new dataset at `normPath`: parent groups created, an
    // old dataset unlinked. A group is never removed to make room: that would
    // silently drop everything under it.
    void prepareDataset(const std::string& normPath) {
        const auto parts = components(normPath);
        if (parts.empty()) throw UsageError(path + ": a dataset needs a name; \"/\" is the root group");
        createGroup(joinPath(parts, parts.size() - 1));
        const Kind k = kind(normPath);
        if (k == Kind::Group) throw RuntimeFailure(where(normPath) + ": is a group, not replacing it with a dataset");
        if (H5Lexists(file.get(), normPath.c_str(), H5P_DEFAULT) > 0)
            need(H5Ldelete(file.get(), normPath.c_str(), H5P_DEFAULT), Side::Write, where(normPath),
                 "cannot remove the old dataset");
    }

    // Creates or replaces attribute `name` of the open object `object`.
    void writeAttribute(hid_t object, const std::string& whereAttr, const std::string& name, hid_t fileType, hid_t memType,
                        hid_t space, const void* data) {
        if (name.empty()) throw UsageError(whereAttr + ": an attribute needs a name");
        if (need(H5Aexists(object, name.c_str()), Side::Write, whereAttr, "cannot look up the attribute") > 0)
            need(H5Adelete(object, name.c_str()), Side::Write, whereAttr, "cannot remove the old attribute");
        Handle attr = make(H5Acreate2(object, name.c_str(), fileType, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, Side::Write,
                           whereAttr, "cannot create the attribute");
        if (need(H5Sget_simple_extent_npoints(space), Side::Write, whereAttr, "bad dataspace") > 0)
            need(H5Awrite(attr.get(), memType, data), Side::Write, whereAttr, "cannot write the attribute");
    }

    void setAttribute(const std::string& objectPath, const std::string& name, hid_t fileType, hid_t memType, hid_t space,
                      const void* data) {
        const std::string norm = normalize(objectPath);
        Handle object = openObject(norm);
        writeAttribute(object.get(), whereAttr(norm, name), name, fileType, memType, space, data);
    }

    void writeStringAttribute(hid_t object, const std::string& whereAttr, const std::string& name, const std::string& value) {
        if (value.find('\0') != std::string::npos) throw UsageError(whereAttr + ": HDF5 strings cannot hold NUL bytes");
        Handle type = utf8StringType(Side::Write, whereAttr);
        Handle space = scalarSpace(Side::Write, whereAttr);
        const char* text = value.c_str();
        writeAttribute(object, whereAttr, name, type.get(), type.get(), space.get(), &text);
    }

    Handle openAttribute(const std::string& normPath, const std::string& name) const {
        Handle object = openObject(normPath);
        const std::string whereA = whereAttr(normPath, name);
        if (need(H5Aexists(object.get(), name.c_str()), Side::Read, whereA, "cannot look up the attribute") <= 0)
            throw FormatError(whereA + ": no such attribute");
        return make(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT), H5Aclose, Side::Read, whereA, "cannot open the attribute");
    }

    std::string readAttributeString(hid_t attr, const std::string& whereA) const {
        Handle type = make(H5Aget_type(attr), H5Tclose, Side::Read, whereA, "unreadable attribute type");
        Handle space = make(H5Aget_space(attr), H5Sclose, Side::Read, whereA, "unreadable attribute dataspace");
        return readStringValue(
            type.get(), space.get(), [&](hid_t mem, void* buf) { return H5Aread(attr, mem, buf); }, whereA);
    }
};

} // namespace ol
