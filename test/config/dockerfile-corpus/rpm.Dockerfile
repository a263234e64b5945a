FROM registry.access.redhat.com/ubi9/ubi:9.4
RUN yum install git
RUN dnf install -y make
RUN zypper install -y vim
RUN microdnf install -y tar
USER 1001
HEALTHCHECK CMD true
CMD ["bash"]
